Feature: Lockout and user status
  SPEC.md section 9. Each authentication or renewal completion that fails with
  INVALID_PROOF or INVALID_PUBLIC_VALUE counts; a successful one resets the count; at
  the store's maxFailedAttempts the user becomes TEMP_LOCKED. Any start or completion
  for a TEMP_LOCKED or LOCKED user is 400 USER_LOCKED, for a DISABLED one 400
  USER_DISABLED. Concurrent completions of one user count as if they ran one at a
  time; a completion refused for the lock gets the same answer whether its proof was
  right or wrong; a counted failure leaves the user's other open sessions valid.

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

  # The order of completion checks (SPEC.md section 2) at the MUST level: which
  # refusals count toward the lock shows which check refused them.

  @LCK-008 @must @lockout
  Scenario: renewals with a wrong proof and a new passcode that breaks history count toward the lock
    Given a user with a registered passcode
    When the client renews with a wrong proof and the current passcode as the new one, as often as the store allows
    And the client starts an authentication for the user by user id
    Then the answer is 400 USER_LOCKED

  @SES-013 @must @lockout
  Scenario Outline: a stale <flow> session completed with a refused A is INVALID_PUBLIC_VALUE and counts toward the lock
    Given a user with a registered passcode
    And the user has started a <flow> session "before"
    And the user has renewed the passcode
    When the client fails the authentication one time less than the store allows
    And the client completes session "before" with A = 0 and a forged proof
    Then the answer is 400 INVALID_PUBLIC_VALUE
    When the client starts an authentication for the user by user id
    Then the answer is 400 USER_LOCKED

    Examples:
      | flow           |
      | authentication |
      | renewal        |

  @SES-014 @must @lockout
  Scenario Outline: a stale <flow> session completed with <proof> is STALE_SESSION and does not count toward the lock
    Given a user with a registered passcode
    And the user has started a <flow> session "before"
    And the user has renewed the passcode
    When the client fails the authentication one time less than the store allows
    And the client completes session "before" with <proof>
    Then the answer is 400 STALE_SESSION
    And the passcode still authenticates

    Examples:
      | flow           | proof                      |
      | authentication | the passcode it started on |
      | authentication | a wrong passcode           |
      | renewal        | the passcode it started on |
      | renewal        | a wrong passcode           |

  # What resets the count, and what a counted failure leaves alone.

  @LCK-009 @must @lockout
  Scenario: a successful renewal resets the count of failures
    Given a user with a registered passcode
    When the client fails the authentication one time less than the store allows
    And the client starts a renewal for the user by user id
    And the client proves the old passcode and sends the verifier of a new passcode
    Then the answer is 200
    When the client fails the authentication one time less than the store allows
    Then the passcode still authenticates

  @LCK-013 @must @lockout
  Scenario Outline: a failed <failed> completion (<code>) leaves the user's open <open> session valid
    Given a user with a registered passcode
    And the user has started a <open> session "open"
    And the user has started a <failed> session "failed"
    When the client completes session "failed" with <defect>
    Then the answer is 400 <code>
    When the client completes session "open" correctly
    Then the answer is 200
    And the answer's m2 verifies

    Examples:
      | open           | failed         | defect                   | code                 |
      | authentication | authentication | a wrong passcode         | INVALID_PROOF        |
      | renewal        | authentication | a wrong passcode         | INVALID_PROOF        |
      | authentication | renewal        | a wrong passcode         | INVALID_PROOF        |
      | renewal        | renewal        | A = 0 and a forged proof | INVALID_PUBLIC_VALUE |

  # The store's own lock configuration (SPEC.md section 9): a store whose lock
  # differs from the main store's (the target's shortLockStore; the reference
  # fixtures' "brief" locks after 2 failures, for 4 s). Its users are made through
  # the admin API.
  @LCK-014 @must @lockout @lock-expiry @admin
  Scenario: a store locks after its own maxFailedAttempts
    Given a user with a registered passcode in the store with a short lock
    When the client fails the authentication one time less than the store allows
    Then the passcode still authenticates
    When the client fails the authentication as often as the store allows
    And the client starts an authentication for the user by user id
    Then the answer is 400 USER_LOCKED

  @LCK-015 @must @lockout @lock-expiry @admin
  Scenario: a lock ends when the store's lockDurationSeconds have passed
    Given a user with a registered passcode in the store with a short lock
    When the client locks the user with wrong proofs
    Then the user is still locked
    When the lock's duration passes
    Then the passcode still authenticates

  # Lockout under concurrency (SPEC.md section 9): one user's completions count as
  # if they ran one at a time. A burst is at least 16 sessions, and at least three
  # times maxFailedAttempts, started one after another and completed at once.

  @LCK-010 @must @lockout
  Scenario Outline: of a burst of concurrent <flow> completions with wrong proofs after <prior> failures, at most the rest of the allowance are INVALID_PROOF
    Given a user with a registered passcode
    And the user has failed <prior> authentications
    When the client starts a burst of <flow> sessions, three times as many as the store allows failures and at least 16
    And the client completes the burst at once with wrong proofs
    Then no more answers of the burst are 400 INVALID_PROOF than the store still allowed failures, and the others are 400 USER_LOCKED
    When the client starts an authentication for the user by user id
    Then the answer is 400 USER_LOCKED

    Examples:
      | flow           | prior                      |
      | authentication | no                         |
      | renewal        | no                         |
      | authentication | all but one of the allowed |
      | renewal        | all but one of the allowed |

  @LCK-011 @must @lockout
  Scenario Outline: a right <flow> proof in a burst of concurrent wrong ones is accepted or refused exactly like them
    Given a user with a registered passcode
    And the user has failed all but one of the allowed authentications
    When the client starts a burst of <flow> sessions, three times as many as the store allows failures and at least 16
    And the client completes the burst at once, one session with the right proof and the others with wrong proofs
    Then the right proof is answered 200 or exactly as the wrong proofs refused for the lock are

    Examples:
      | flow           |
      | authentication |
      | renewal        |

  @LCK-012 @must @lockout
  Scenario Outline: after the lock, <flow> sessions started before it are refused alike with a right and a wrong proof
    Given a user with a registered passcode
    And the user has started a <flow> session "right"
    And the user has started a <flow> session "wrong"
    When the client fails the authentication as often as the store allows
    And the client completes session "right" correctly
    Then the answer is 400 USER_LOCKED
    When the client completes session "wrong" with a wrong passcode
    Then the answer is 400 USER_LOCKED
    And the answers to sessions "right" and "wrong" are the same

    Examples:
      | flow           |
      | authentication |
      | renewal        |
