Feature: Authentication
  SPEC.md sections 4 and 6. A user proves a registered passcode: the start hands out
  the SRP parameters with the server's public value B, the completion takes A and
  M1 and answers M2, which the client checks before it trusts anything.

  @AUTH-001 @must
  Scenario: a user authenticates by user id and the server proves itself with m2
    Given a user with a registered passcode
    When the client starts an authentication for the user by user id
    Then the answer is 200
    And the start answer has the authentication shape
    When the client proves the passcode
    Then the answer is 200
    And the completion answer has the proof shape
    And the answer's m2 verifies
    And the answer names the user

  @AUTH-002 @must
  Scenario: a user authenticates by external id
    Given a user with a registered passcode
    When the client starts an authentication for the user by external id
    Then the answer is 200
    And the start answer has the authentication shape
    When the client proves the passcode
    Then the answer is 200
    And the answer's m2 verifies
    And the answer names the user

  @AUTH-003 @must
  Scenario: a wrong passcode is refused and changes nothing
    Given a user with a registered passcode
    When the client starts an authentication for the user by user id
    And the client proves a wrong passcode
    Then the answer is 400 INVALID_PROOF
    And the answer holds no m2
    And the passcode still authenticates

  @AUTH-004 @must
  Scenario Outline: an authentication start by <form> for a user without a passcode is refused
    Given a user without a passcode
    When the client starts an authentication for the user by <form>
    Then the answer is 400 PASSCODE_NOT_REGISTERED

    Examples:
      | form        |
      | user id     |
      | external id |

  @AUTH-005 @must
  Scenario: authentication uses the identity and salt fixed at registration
    Given a user with a registered passcode
    When the client starts an authentication for the user by user id
    Then the answer is 200
    And the identity i and the salt are those of the user's credential
