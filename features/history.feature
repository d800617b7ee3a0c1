Feature: Passcode history
  SPEC.md section 8: passcodeHistory is the number of most recent passcodes, the
  current one included, that a renewal may not reuse (400
  PASSCODE_HISTORY_VIOLATION); 0 turns the check off. The server compares verifiers,
  which works because a renewal keeps the identity and the salt.

  @HIS-001 @must
  Scenario Outline: with the "<policy>" policy and <renewals> renewals done, a renewal back to <which> is refused and changes nothing
    Given a user with a registered passcode under the "<policy>" policy
    And the user's passcode has been renewed <renewals> times
    When the client renews the passcode back to <which>
    Then the answer is 400 PASSCODE_HISTORY_VIOLATION
    And the passcode still authenticates

    Examples:
      | policy   | renewals | which                                  |
      | standard | 0        | the current passcode                   |
      | standard | 3        | the current passcode                   |
      | standard | 3        | the passcode from 1 renewal before     |
      | standard | 3        | the passcode from 2 renewals before    |
      | pin6     | 1        | the current passcode                   |

  @HIS-002 @must
  Scenario Outline: with the "<policy>" policy and <renewals> renewals done, a renewal back to <which> is accepted
    Given a user with a registered passcode under the "<policy>" policy
    And the user's passcode has been renewed <renewals> times
    When the client renews the passcode back to <which>
    Then the answer is 200
    And the answer's m2 verifies
    And the new passcode authenticates

    Examples:
      | policy    | renewals | which                                  |
      | standard  | 3        | the passcode from 3 renewals before    |
      | pin6      | 1        | the passcode from 1 renewal before     |
      | nohistory | 0        | the current passcode                   |
      | nohistory | 2        | the passcode from 1 renewal before     |

  @HIS-003 @must @lockout
  Scenario Outline: with the "<policy>" policy a renewal back to <which> is refused without counting toward the lock
    Given a user with a registered passcode under the "<policy>" policy
    And the user's passcode has been renewed <renewals> times
    When the client fails the authentication one time less than the store allows
    And the client renews the passcode back to <which>
    Then the answer is 400 PASSCODE_HISTORY_VIOLATION
    And the passcode still authenticates

    Examples:
      | policy   | renewals | which                              |
      | standard | 1        | the passcode from 1 renewal before |
      | pin6     | 0        | the current passcode               |
