Feature: Admin endpoints
  SPEC.md section 5: the reference server's admin API under the permission
  IdentityStore:admin; a MAY elsewhere (capability admin).

  @ADM-001 @may @admin
  Scenario: creating a user answers 201 with the user object
    When the client creates a user with a fresh external id
    Then the answer is 201
    And the answer is a user object with a 26-character id, the external id, status ACTIVE and a creation date

  @ADM-002 @may @admin
  Scenario: an external id that is taken is 409
    Given a user without a passcode
    When the client creates a user with the same external id
    Then the answer is 409 EXTERNAL_ID_NOT_UNIQUE

  @ADM-003 @may @admin
  Scenario Outline: reading a user by <form> answers the user object
    Given a user without a passcode
    When the client reads the user by <form>
    Then the answer is 200
    And the answer is the user's object

    Examples:
      | form        |
      | user id     |
      | external id |

  @ADM-004 @may @admin
  Scenario: a policy can be created, read, updated and deleted, and starts follow it
    Given a policy with the requirements {"minimumLength": 10, "passcodeHistory": 2}
    And a user without a passcode
    When the client reads that policy
    Then the answer is 200
    And the answer is that policy with the requirements {"minimumLength": 10, "passcodeHistory": 2}
    When the client updates that policy to the requirements {"minimumLength": 12, "digitCount": 1}
    And the client starts the registration for the user by user id under that policy
    Then the answer is 200
    And the answer's requirements are exactly {"minimumLength": 12, "digitCount": 1}
    When the client deletes that policy
    And the client starts the registration for the user by user id under that policy
    Then the answer is 404 POLICY_NOT_FOUND

  @ADM-005 @may @admin
  Scenario: deleting a credential unregisters the user, and a new registration gets a new identity and salt
    Given a user with a registered passcode
    When the client deletes the user's credential
    And the client starts an authentication for the user by user id
    Then the answer is 400 PASSCODE_NOT_REGISTERED
    When the client starts a registration for the user by user id
    Then the answer is 200
    And the identity i and the salt differ from those of the deleted credential

  @ADM-006 @may @admin @renewal-token
  Scenario Outline: the renewal-only token cannot <request>
    Given a user without a passcode
    And the client uses the renewal-only token
    When the client sends <request>
    Then the answer is 403 FORBIDDEN

    Examples:
      | request                 |
      | an admin user creation  |
      | an admin user read      |
      | an admin policy read    |
