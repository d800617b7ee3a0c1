Feature: The token endpoint's throttle
  SPEC.md section 3: "The token endpoint SHOULD limit failed client authentications
  per client id (429 with Retry-After); this is a MAY check." A throttle must not let
  whoever lacks the secret lock the real client out, so once the wrong secrets are
  refused the right one still gets a token. The scenario uses the renewal role's
  client, whose secret no other check sends wrong, and asks for its token first, as
  the real client would have: a server may tell the addresses a client has
  authenticated from apart from the others.

  @TOK-009 @may @oauth @renewal-token
  Scenario: wrong client secrets are throttled with 429 and Retry-After, and the right secret still gets a token
    When the client asks for a token of the renewal role with its secret
    Then the answer is 200
    When the client sends wrong secrets for the renewal role's client until the answer is 429, at most 100
    Then the answer is 429
    And the answer's Retry-After is a delay in seconds or an HTTP date
    And the answer has the section 10 error body
    And the answer's Content-Type is application/json
    When the client asks for a token of the renewal role with its secret
    Then the answer is 200
