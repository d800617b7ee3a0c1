Feature: Renewal by user id
  SPEC.md sections 1, 2, 4 and 6, and the TrustX guide's "Passcode Renewal". A user
  with a registered passcode starts a renewal, receives the requirements and the
  SRP parameters, proves the old passcode, sends the verifier of the new one, gets
  200 and an m2 that the client verifies; afterwards the new passcode
  authenticates and the old one does not.

  @RNW-001 @must
  Scenario: a user renews a registered passcode as the guide documents
    Given a user with a registered passcode
    When the client starts a renewal for the user by user id
    Then the answer is 200
    When the client proves the old passcode and sends the verifier of a new passcode
    Then the answer is 200
    And the answer's m2 verifies
    And the answer names the user
    And the new passcode authenticates
    And the old passcode no longer authenticates

  @RNW-002 @must
  Scenario: the renewal start answer has the guide's shape
    Given a user with a registered passcode
    When the client starts a renewal for the user by user id
    Then the answer is 200
    And the start answer has the renewal shape
    And the requirements have every member of the guide's example with its JSON type
    And the answer's requirements are those of the "standard" policy

  @RNW-003 @must
  Scenario: a renewal keeps the identity and the salt of the credential
    Given a user with a registered passcode
    When the client starts a renewal for the user by user id
    And the client proves the old passcode and sends the verifier of a new passcode
    Then the answer is 200
    When the client starts an authentication for the user by user id
    Then the answer is 200
    And the identity i and the salt are those of the user's credential

  @RNW-004 @must
  Scenario: a renewal with a wrong old passcode is refused and changes nothing
    Given a user with a registered passcode
    When the client starts a renewal for the user by user id
    And the client proves a wrong passcode and sends the verifier of a new passcode
    Then the answer is 400 INVALID_PROOF
    And the answer holds no m2
    And the passcode still authenticates
    And the refused new passcode does not authenticate

  @RNW-005 @must
  Scenario Outline: a renewal start by <form> for a user without a passcode is refused
    Given a user without a passcode
    When the client starts a renewal for the user by <form>
    Then the answer is 400 PASSCODE_NOT_REGISTERED

    Examples:
      | form        |
      | user id     |
      | external id |

  @RNW-006 @must
  Scenario: a wrong proof is reported before a history violation
    Given a user with a registered passcode
    When the client starts a renewal for the user by user id
    And the client proves a wrong passcode and sends the verifier of the current passcode
    Then the answer is 400 INVALID_PROOF
    And the passcode still authenticates

  @RNW-007 @must
  Scenario: 200 renewals, 50 in a row for each of 4 users, all verify, values with leading zero bytes included
    Given a user with a registered passcode under the "nohistory" policy
    When 4 users each renew their passcode 50 times in a row, steering values with leading zero bytes
    Then every renewal answered 200 with an m2 that verifies
    And values with leading zero bytes occurred in A, the verifier, M1 and M2
    And every user's last passcode authenticates

  @RNW-008 @must
  Scenario Outline: after a renewal under the "<policy>" policy the new passcode authenticates and the old one no longer does
    Given a user with a registered passcode under the "<policy>" policy
    When the client starts a renewal for the user by user id
    And the client proves the old passcode and sends the verifier of a passcode the user never had
    Then the answer is 200
    And the answer's m2 verifies
    And the old passcode no longer authenticates
    And the new passcode authenticates

    Examples:
      | policy    |
      | standard  |
      | pin6      |
      | nohistory |

  @RNW-009 @must
  Scenario Outline: a renewal under the "<policy>" policy refused for <defect> leaves the old passcode working and the new one not
    Given a user with a registered passcode under the "<policy>" policy
    And the user's passcode has been renewed <renewals> times
    When the client starts a renewal for the user by user id
    And the client completes the renewal with <defect>
    Then the answer is 400 <code>
    And the passcode still authenticates
    And the refused new passcode does not authenticate

    Examples:
      | policy    | renewals | defect                                             | code                       |
      | standard  | 0        | a wrong proof                                      | INVALID_PROOF              |
      | pin6      | 0        | a wrong proof                                      | INVALID_PROOF              |
      | nohistory | 0        | a wrong proof                                      | INVALID_PROOF              |
      | standard  | 0        | the verifier v+N                                   | INVALID_VERIFIER           |
      | pin6      | 0        | the verifier v+N                                   | INVALID_VERIFIER           |
      | nohistory | 0        | the verifier v+N                                   | INVALID_VERIFIER           |
      | standard  | 0        | a verifier that is not base64                      | INVALID_REQUEST            |
      | pin6      | 0        | a verifier that is not base64                      | INVALID_REQUEST            |
      | nohistory | 0        | a verifier that is not base64                      | INVALID_REQUEST            |
      | standard  | 1        | the passcode from 1 renewal before as the new one  | PASSCODE_HISTORY_VIOLATION |
      | standard  | 2        | the passcode from 2 renewals before as the new one | PASSCODE_HISTORY_VIOLATION |
