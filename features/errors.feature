Feature: Error answers
  SPEC.md sections 2 and 10. Every non-2xx answer has the body {code, message,
  processingDetails}; the message is for people and never holds internal detail;
  every answer carries Content-Type application/json. (Every check that expects an
  error also reports whether its code is the one SPEC.md names, as <id>.code at the
  SHOULD level: status codes are MUST checks, error codes SHOULD checks.)

  @ERR-001 @must
  Scenario Outline: a <status> answer has the section 10 error body
    Given a user with a registered passcode
    When the client provokes a <status> answer
    Then the answer is <status>
    And the answer has the section 10 error body

    Examples:
      | status |
      | 400    |
      | 401    |
      | 403    |
      | 404    |
      | 413    |

  @ERR-002 @should
  Scenario Outline: the message of a <status> answer holds no internal detail
    Given a user with a registered passcode
    When the client provokes a <status> answer
    Then the answer is <status>
    And the answer's message holds no internal detail

    Examples:
      | status |
      | 400    |
      | 401    |
      | 404    |
      | 413    |

  @ERR-003 @must
  Scenario Outline: a <kind> answer carries the JSON content type
    Given a user with a registered passcode
    When the client provokes a <kind> answer
    Then the answer's Content-Type is application/json

    Examples:
      | kind             |
      | renewal start    |
      | renewal success  |
      | 400              |
      | 401              |
      | 404              |
