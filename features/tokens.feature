Feature: Tokens and permissions
  SPEC.md section 3. Every passcode and admin endpoint needs a bearer token: none, a
  malformed, expired or badly signed one, or alg "none" is 401 UNAUTHORIZED; a valid
  token without the permission TNT#{tenant}#{operation} is 403 FORBIDDEN.

  @TOK-001 @must
  Scenario Outline: a renewal start with <credential> is 401
    Given a user with a registered passcode
    And the client uses <credential>
    When the client starts the renewal for the user by user id
    Then the answer is 401 UNAUTHORIZED

    Examples:
      | credential                         |
      | no token                           |
      | an empty bearer token              |
      | a token that is not a JWT          |
      | a token with a broken signature    |
      | an unsigned token with alg none    |
      | a token signed by a key it carries |
      | the full token under Basic         |

  @TOK-002 @must
  Scenario Outline: <request> without a token is 401
    Given a user with a registered passcode
    And the client uses no token
    When the client sends <request>
    Then the answer is 401 UNAUTHORIZED

    Examples:
      | request                                  |
      | a renewal completion                     |
      | an authentication start by external id   |
      | a registration completion                |
      | a renewal start for an unknown user      |
      | a renewal start in an unknown store      |

  @TOK-003 @must @expired-token
  Scenario: a renewal start with an expired token is 401
    Given a user with a registered passcode
    And the client uses the expired token
    When the client starts the renewal for the user by user id
    Then the answer is 401 UNAUTHORIZED

  @TOK-004 @must @renewal-token
  Scenario Outline: the renewal-only token renews by <form>
    Given a user with a registered passcode
    And the client uses the renewal-only token
    When the client starts the renewal for the user by <form>
    Then the answer is 200
    When the client proves the old passcode and sends the verifier of a new passcode
    Then the answer is 200
    And the answer's m2 verifies

    Examples:
      | form        |
      | user id     |
      | external id |

  @TOK-005 @must @renewal-token
  Scenario Outline: the renewal-only token cannot <request>
    Given a user with a registered passcode
    And the client uses the renewal-only token
    When the client sends <request>
    Then the answer is 403 FORBIDDEN

    Examples:
      | request                                  |
      | an authentication start by user id       |
      | an authentication start by external id   |
      | a registration start by user id          |
      | an authentication completion             |
      | a registration completion                |

  @TOK-006 @must @no-permission-token
  Scenario Outline: a token without permissions cannot <request>
    Given a user with a registered passcode
    And the client uses the no-permission token
    When the client sends <request>
    Then the answer is 403 FORBIDDEN

    Examples:
      | request                                  |
      | a renewal start by user id               |
      | a renewal start by external id           |
      | a renewal completion                     |
      | an authentication start by user id       |
      | a registration start by user id          |

  @TOK-007 @may @oauth
  Scenario Outline: the token endpoint issues a bearer token to a client authenticated by <method>
    When the client asks for a token of the full role by <method>
    Then the answer is 200
    And the answer is a bearer token response that is not cached
    And the token is an ES256 JWT with the claims iss, sub, iat, exp and permissions
    And the token's signature verifies with a key of the JWKS document

    Examples:
      | method         |
      | HTTP Basic     |
      | form fields    |

  @TOK-008 @may @oauth
  Scenario: the token endpoint refuses a wrong client secret
    When the client asks for a token of the full role with a wrong secret
    Then the answer is 401 UNAUTHORIZED
