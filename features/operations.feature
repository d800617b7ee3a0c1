Feature: Operational endpoints
  SPEC.md section 11: /healthz, /readyz, /metrics in the Prometheus text format and
  /openapi.yaml describing every endpoint (capability ops).

  @OPS-001 @may @ops
  Scenario Outline: the <endpoint> endpoint answers 200
    When the client gets <path>
    Then the answer is 200

    Examples:
      | endpoint  | path     |
      | liveness  | /healthz |
      | readiness | /readyz  |

  @OPS-002 @may @ops
  Scenario: the metrics endpoint serves Prometheus text with request counts and latency histograms
    Given a user with a registered passcode
    And the passcode still authenticates
    When the client gets /metrics
    Then the answer is 200
    And the answer is Prometheus text with a request counter and a latency histogram

  @OPS-003 @may @ops
  Scenario: the OpenAPI document is OpenAPI 3.1 and describes every passcode endpoint
    When the client gets /openapi.yaml
    Then the answer is 200
    And the answer is an OpenAPI 3.1 document with every passcode endpoint of section 4
