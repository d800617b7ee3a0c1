Feature: Lockout and user status
  SPEC.md section 9. Each authentication or renewal completion that fails with
  INVALID_PROOF or INVALID_PUBLIC_VALUE counts; a successful one resets the count; at
  the store's maxFailedAttempts the user becomes TEMP_LOCKED. Any start or completion
  for a TEMP_LOCKED or LOCKED user is 400 USER_LOCKED, for a DISABLED one 400
  USER_DISABLED.

  @LCK-001 @must @lockout
  Scenario: after the maximum of wrong proofs the user is locked, even with the right passcode
    Given a user with a registered passcode
    When the client fails the authentication as often as the store allows
    And the client starts an authentication for the user by user id
    Then the answer is 400 USER_LOCKED
    When the client starts a renewal for the user by external id
    Then the answer is 400 USER_LOCKED

  @LCK-002 @must @lockout
  Scenario: a successful authentication resets the count of failures
    Given a user with a registered passcode
    When the client fails the authentication one time less than the store allows
    And the client authenticates the user with the passcode
    And the client fails the authentication one time less than the store allows
    Then the passcode still authenticates

  @LCK-003 @must @lockout
  Scenario: refused public values count toward the lock too
    Given a user with a registered passcode
    When the client sends A = 0 in as many renewals as the store allows
    And the client starts an authentication for the user by user id
    Then the answer is 400 USER_LOCKED

  @LCK-004 @must @lockout
  Scenario: a session started before the lock cannot be completed after it
    Given a user with a registered passcode
    And the user has started a renewal session "before"
    When the client fails the authentication as often as the store allows
    And the client completes session "before" correctly
    Then the answer is 400 USER_LOCKED

  @LCK-005 @must @lockout @admin
  Scenario: the locked user reads as TEMP_LOCKED
    Given a user with a registered passcode
    When the client fails the authentication as often as the store allows
    And the client reads the user by user id
    Then the answer is 200
    And the user's status is TEMP_LOCKED

  @LCK-006 @must @admin
  Scenario Outline: a user created with the status <status> cannot start a registration
    Given a user created with the status <status>
    When the client starts a registration for the user by user id
    Then the answer is 400 <code>

    Examples:
      | status      | code          |
      | LOCKED      | USER_LOCKED   |
      | TEMP_LOCKED | USER_LOCKED   |
      | DISABLED    | USER_DISABLED |

  @LCK-007 @must
  Scenario Outline: a <status> user with a passcode cannot start the <flow> by <form>
    Given a pre-provisioned <status> user
    When the client starts the <flow> for the user by <form>
    Then the answer is 400 <code>

    Examples:
      | status   | flow           | form        | code          |
      | locked   | authentication | user id     | USER_LOCKED   |
      | locked   | renewal        | external id | USER_LOCKED   |
      | disabled | authentication | external id | USER_DISABLED |
      | disabled | renewal        | user id     | USER_DISABLED |
