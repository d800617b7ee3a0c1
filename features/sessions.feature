Feature: Sessions
  SPEC.md sections 2 and 7. A session is single use: the first completion attempt
  consumes it whatever its outcome; later attempts, unknown and expired ids get 404
  SESSION_NOT_FOUND. It is bound to its flow, tenant and store. A session started on
  a credential that changed before completion is STALE_SESSION. Of concurrent
  completions at most one succeeds, and no acknowledged renewal is lost.

  @SES-004 @must @session-expiry
  Scenario Outline: an expired <flow> session is not found
    Given a user ready for the <flow>
    When the client starts the <flow> for the user by user id
    And the session's lifetime passes
    And the client completes the session correctly
    Then the answer is 404 SESSION_NOT_FOUND

    Examples:
      | flow           |
      | authentication |
      | renewal        |

  @SES-001 @must
  Scenario Outline: a completed <flow> session cannot be completed again
    Given a user ready for the <flow>
    When the client starts the <flow> for the user by user id
    And the client completes the session correctly
    Then the answer is 200
    When the client completes the same session again correctly
    Then the answer is 404 SESSION_NOT_FOUND

    Examples:
      | flow           |
      | registration   |
      | authentication |
      | renewal        |

  @SES-002 @must
  Scenario Outline: a <flow> session that failed on a wrong proof cannot be retried
    Given a user with a registered passcode
    When the client starts the <flow> for the user by user id
    And the client proves a wrong passcode
    Then the answer is 400 INVALID_PROOF
    When the client completes the same session again correctly
    Then the answer is 404 SESSION_NOT_FOUND

    Examples:
      | flow           |
      | authentication |
      | renewal        |

  @SES-003 @must
  Scenario Outline: a <flow> session that got a malformed completion cannot be retried
    Given a user ready for the <flow>
    When the client starts the <flow> for the user by user id
    And the client completes the session with the body {}
    Then the answer is 400 INVALID_REQUEST
    When the client completes the same session again correctly
    Then the answer is 404 SESSION_NOT_FOUND

    Examples:
      | flow           |
      | registration   |
      | authentication |
      | renewal        |

  @SES-005 @must
  Scenario Outline: a <flow> session completed through the <other> endpoint is not found
    Given a user ready for the <flow>
    When the client starts the <flow> for the user by user id
    And the client completes the session through the <other> endpoint
    Then the answer is 404 SESSION_NOT_FOUND

    Examples:
      | flow           | other          |
      | registration   | authentication |
      | registration   | renewal        |
      | authentication | registration   |
      | authentication | renewal        |
      | renewal        | registration   |
      | renewal        | authentication |

  @SES-006 @must @second-store
  Scenario Outline: a <flow> session completed through another store of the tenant is not found
    Given a user ready for the <flow>
    When the client starts the <flow> for the user by user id
    And the client completes the session correctly through the second store
    Then the answer is 404 SESSION_NOT_FOUND

    Examples:
      | flow           |
      | registration   |
      | renewal        |

  @SES-007 @must
  Scenario: an authentication session started before a renewal is stale
    Given a user with a registered passcode
    And the user has started an authentication session "before"
    And the user has renewed the passcode
    When the client completes session "before" with the passcode it started on
    Then the answer is 400 STALE_SESSION
    And the passcode still authenticates

  @SES-008 @must
  Scenario: of two renewals started together, the second to complete is stale
    Given a user with a registered passcode
    And the user has started a renewal session "first"
    And the user has started a renewal session "second"
    When the client completes session "first" correctly
    Then the answer is 200
    When the client completes session "second" correctly
    Then the answer is 400 STALE_SESSION
    And the passcode of session "first" authenticates

  @SES-009 @must @admin
  Scenario: a session started on a credential that was deleted and registered again is stale
    Given a user with a registered passcode
    And the user has started a renewal session "before"
    And the user's credential has been deleted and registered again
    When the client completes session "before" with the passcode it started on
    Then the answer is 400 STALE_SESSION
    And the passcode still authenticates

  @SES-010 @must
  Scenario Outline: of 16 concurrent completions of one <flow> session at most one succeeds
    Given a user ready for the <flow>
    When the client starts the <flow> for the user by user id
    And the client sends 16 correct completions of the session at once
    Then at most one answer is 200 and the others are 404 SESSION_NOT_FOUND
    And the passcode of the winning completion authenticates

    Examples:
      | flow           |
      | registration   |
      | authentication |
      | renewal        |

  @SES-011 @must
  Scenario: of 8 renewals of one user started together and completed at once, at most one succeeds
    Given a user with a registered passcode
    And the user has started 8 renewal sessions
    When the client completes all of them at once, each with its own new passcode
    Then at most one answer is 200 and the others are 400 STALE_SESSION
    And the passcode of the winning completion authenticates

  @SES-012 @must
  Scenario Outline: completion checks run in the SPEC's order: <case>
    Given a user with a registered passcode
    And the user has started a renewal session "before"
    And <setup>
    When the client completes session "before" with <defects>
    Then the answer is <status> <code>

    Examples:
      | case                                       | setup                                | defects                        | status | code                 |
      | the shape before the ranges                | nothing else happened                | A = 0 and an m1 of 64 bytes    | 400    | INVALID_REQUEST      |
      | the ranges before staleness                | the user has renewed the passcode    | A = 0 and a forged proof       | 400    | INVALID_PUBLIC_VALUE |
      | the verifier range before staleness        | the user has renewed the passcode    | the verifier 1                 | 400    | INVALID_VERIFIER     |
      | staleness before the proof                 | the user has renewed the passcode    | a wrong passcode               | 400    | STALE_SESSION        |
