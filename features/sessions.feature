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
      | authentication |
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

  # Binding in the host form. Accepting the host form is a SHOULD (section 2), so the
  # check runs only for a target that declares host-paths; but once a server serves a
  # path, section 7's binding holds for it, whatever its form: completing a session
  # through another flow's, store's or tenant's path is 404, a status code and so a
  # MUST (section 10). The session is started in the canonical form (a MUST form), so
  # that only the host-form completion is under test, not HOST-004's crossing of
  # forms: any answer but 404 is wrong, whether or not the server would complete the
  # session through its own host-form path. Whether the session is still usable
  # afterwards SPEC.md does not say, and the check does not ask.
  @SES-015 @must @host-paths
  Scenario Outline: a session of the <flow> flow completed in the host form through <route> is not found
    Given a user ready for the <flow>
    When the client starts the <flow> for the user by user id
    And the client uses the host form
    And the client sends the session's completion to <route>
    Then the answer is 404 SESSION_NOT_FOUND

    Examples: another flow's path
      | flow           | route                           |
      | registration   | the authentication flow's path  |
      | registration   | the renewal flow's path         |
      | authentication | the registration flow's path    |
      | authentication | the renewal flow's path         |
      | renewal        | the registration flow's path    |
      | renewal        | the authentication flow's path  |

    @second-store
    Examples: another store's path
      | flow           | route                  |
      | registration   | the second store's path |
      | authentication | the second store's path |
      | renewal        | the second store's path |

    @other-tenant
    Examples: another tenant's path, with that tenant's token
      | flow           | route                   |
      | registration   | the other tenant's path |
      | authentication | the other tenant's path |
      | renewal        | the other tenant's path |

  @SES-016 @must
  Scenario: 256 session ids repeat none, have no near neighbours and have balanced bits
    SPEC.md section 1: a sessionId is unpredictable, at least 128 bits from a
    CSPRNG. Over 256 starts of the three flows: no id repeats, no two ids (26-character
    IDs decoded to 16 bytes, other forms taken as their bytes) are less than 2^32
    apart as big-endian integers, and the bits of 26-character IDs pass a bit
    balance test, in total and at each of the 128 positions. The bounds make a
    false alarm on a correct server rarer than 2 in 10 million runs (the
    derivation is in steps/identifiers.go).
    Given a user with a registered passcode
    When the client starts 128 registration, 64 authentication and 64 renewal sessions
    Then no two session ids are equal or within 2^32 of each other
    And the bits of the session ids are balanced

  @SES-017 @must
  Scenario Outline: a <flow> session refused with <code> cannot be retried
    SPEC.md sections 2 and 7: a completion for a known session consumes it whatever
    its outcome, so a session is gone after a refusal of any check, not only after a
    wrong proof (SES-002) or a malformed body (SES-003): a handler that checks the
    ranges before it takes the session would leave it open.
    Given a user ready for the <flow>
    When the client starts the <flow> for the user by user id
    And the client completes the session <defect>
    Then the answer is 400 <code>
    When the client completes the same session again correctly
    Then the answer is 404 SESSION_NOT_FOUND

    Examples:
      | flow           | defect                                     | code                 |
      | authentication | with A = 0 and a proof forged for it       | INVALID_PUBLIC_VALUE |
      | renewal        | with A = N-1 and a proof forged for it     | INVALID_PUBLIC_VALUE |
      | registration   | correctly but with the verifier 1          | INVALID_VERIFIER     |
      | renewal        | correctly but with the verifier N          | INVALID_VERIFIER     |

  @SES-017 @must
  Scenario Outline: a stale <flow> session refused with STALE_SESSION cannot be retried
    Given a user with a registered passcode
    And the user has started a <flow> session "before"
    And the user has renewed the passcode
    When the client completes session "before" with the passcode it started on
    Then the answer is 400 STALE_SESSION
    When the client completes the same session again correctly
    Then the answer is 404 SESSION_NOT_FOUND

    Examples:
      | flow           |
      | authentication |
      | renewal        |

  @SES-017 @must
  Scenario: a renewal session refused with PASSCODE_HISTORY_VIOLATION cannot be retried
    Given a user with a registered passcode
    When the client renews the passcode back to the current passcode
    Then the answer is 400 PASSCODE_HISTORY_VIOLATION
    When the client completes the same session again correctly
    Then the answer is 404 SESSION_NOT_FOUND
