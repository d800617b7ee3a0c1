Feature: Registration
  SPEC.md sections 4 and 9. A user without a passcode registers one: the start
  hands out the requirements and the SRP parameters, the completion takes the
  verifier, and from then on the passcode authenticates.

  @REG-001 @must
  Scenario: a user without a passcode registers one by user id
    Given a user without a passcode
    When the client starts a registration for the user by user id
    Then the answer is 200
    And the start answer has the registration shape
    When the client completes the registration with the verifier of a new passcode
    Then the answer is 200
    And the answer names the user
    And the new passcode authenticates

  @REG-002 @must
  Scenario: a user without a passcode registers one by external id
    Given a user without a passcode
    When the client starts a registration for the user by external id
    Then the answer is 200
    And the start answer has the registration shape
    When the client completes the registration with the verifier of a new passcode
    Then the answer is 200
    And the answer names the user
    And the new passcode authenticates

  @REG-003 @must
  Scenario Outline: a registration start by <form> for a user who has a passcode is refused
    Given a user with a registered passcode
    When the client starts a registration for the user by <form>
    Then the answer is 400 PASSCODE_ALREADY_REGISTERED

    Examples:
      | form        |
      | user id     |
      | external id |

  @REG-004 @must
  Scenario: of two registrations started together, the second to complete is refused
    Given a user without a passcode
    And the user has started a registration session "first"
    And the user has started a registration session "second"
    When the client completes session "first" correctly
    Then the answer is 200
    When the client completes session "second" correctly
    Then the answer is 400 PASSCODE_ALREADY_REGISTERED
    And the passcode of session "first" authenticates

  @REG-005 @should
  Scenario: user ids and session ids are 26-character IDs
    Given a user without a passcode
    When the client starts a registration for the user by user id
    Then the answer is 200
    And the session id is a 26-character ID
    When the client completes the registration with the verifier of a new passcode
    Then the answer is 200
    And the user id in the answer is a 26-character ID
