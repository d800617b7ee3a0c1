@process
Feature: The guide's passcode renewal as a process definition
  The TrustX guide's "Renewing via Process Definition": Start -> 'Start Passcode
  Renewal' -> 'Passcode Renewal Form' -> 'Complete Passcode Renewal' -> 'Simple
  Decider' -> End, launched through a process token. At API level: the end user
  opens the token's flow, the browser (here the harness, computing SRP itself)
  answers the form, and the instance runs on. The reference server ships the flow
  as the fixture "passcodeRenewal"; the process endpoints are renewkit's own and
  documented in api/openapi.yaml.

  @PRC-001 @must
  Scenario: an instance runs through every activity of the guide in order
    Given a process user with a registered passcode
    And a process token of "passcodeRenewal" of type "UNLIMITED" for that user
    When the end user opens the token
    Then the answer status is 201
    And the instance waits at "passcodeRenewalForm" with starting component "passcode-renewal" and UI component "passcode-renewal"
    When the browser answers the form with the existing passcode and a new passcode
    Then the answer status is 200
    And the instance is "COMPLETED" with decision "PASS"
    And the server's m2 verifies
    And the instance history is "start, startPasscodeRenewal, passcodeRenewalForm, completePasscodeRenewal, simpleDecider, end"
    And the new passcode of the process user authenticates

  @PRC-002 @must
  Scenario: the decider says FAIL after a wrong existing passcode, and nothing changes
    Given a process user with a registered passcode
    And a process token of "passcodeRenewal" of type "UNLIMITED" for that user
    When the end user opens the token
    And the browser answers the form with a wrong existing passcode and a new passcode
    Then the answer status is 200
    And the instance is "COMPLETED" with decision "FAIL"
    And the instance result's error code is "INVALID_PROOF"
    And the instance history outcomes are "COMPLETED, COMPLETED, COMPLETED, FAILED, COMPLETED, COMPLETED"
    And the existing passcode of the process user still authenticates

  @PRC-003 @must
  Scenario: a count-limited token starts at most its maximum of instances
    Given a process user with a registered passcode
    And a process token of "passcodeRenewal" of type "MULTI_USE_COUNT_LIMITED" with 2 uses for that user
    When the end user opens the token
    Then the answer status is 201
    When the end user opens the token
    Then the answer status is 201
    When the end user opens the token
    Then the answer status is 400
    And the answer code is "PROCESS_TOKEN_EXHAUSTED"

  @PRC-004 @must
  Scenario: a time-limited token starts instances until it expires
    Given a process user with a registered passcode
    And a process token of "passcodeRenewal" of type "MULTI_USE_TIME_LIMITED" expiring in 2 seconds for that user
    When the end user opens the token
    Then the answer status is 201
    When the token has expired
    And the end user opens the token
    Then the answer status is 400
    And the answer code is "PROCESS_TOKEN_EXPIRED"

  @PRC-005 @must
  Scenario: an unlimited token starts any number of instances
    Given a process user with a registered passcode
    And a process token of "passcodeRenewal" of type "UNLIMITED" for that user
    When the end user opens the token 3 times
    Then every answer status is 201
    And the token counts 3 uses

  @PRC-006 @must
  Scenario: an inactive token is refused
    Given a process user with a registered passcode
    And a process token of "passcodeRenewal" of type "UNLIMITED" for that user
    When the token is made "INACTIVE"
    And the end user opens the token
    Then the answer status is 400
    And the answer code is "PROCESS_TOKEN_INACTIVE"
    When the token is made "ACTIVE"
    And the end user opens the token
    Then the answer status is 201

  @PRC-007 @must
  Scenario Outline: deploying a broken definition is refused with the node and parameter named
    When the guide's renewal definition is deployed with <change>
    Then the answer status is 400
    And the answer code is "INVALID_REQUEST"
    And the answer message names node "<node>" and parameter "<parameter>"

    Examples:
      | change                                           | node                    | parameter      |
      | no passcodePolicy on startPasscodeRenewal        | startPasscodeRenewal    | passcodePolicy |
      | an unknown activity type on simpleDecider        | simpleDecider           | type           |
      | a dataFormVersion of 9 on passcodeRenewalForm    | passcodeRenewalForm     | dataFormName   |
      | an extra unconnected node lonely                 | lonely                  |                |
      | a flow from simpleDecider back to the form       | passcodeRenewalForm     |                |

  @PRC-008 @must
  Scenario: a deployed definition is versioned and carries the guide's defaults
    When the guide's renewal definition is deployed without its defaulted parameters
    Then the answer status is 201
    And the deployed definition's version is greater than 1
    And the deployed node "completePasscodeRenewal" has parameter "startingComponentId" "passcode-verify"
    And the deployed node "completePasscodeRenewal" has parameter "uiComponentId" "renewal"
    And the deployed node "passcodeRenewalForm" has parameter "formDataKey" "passcodeRenewalForm1"

  # The guide's "more complex flow" (fixture "passcodeRenewalFull",
  # fixtures/processes/renewal-full.yaml): Get User, conditional sequence flows,
  # error forms, one retry, and registration for a user without a passcode. "the
  # instance took the branches" lists every node passed that has several outgoing
  # flows, with the condition of the flow taken or "default".

  @PRC-009 @must
  Scenario: a renewal for a user without a passcode falls through to registration and PASSes
    Given a process user without a passcode
    And a process token of "passcodeRenewalFull" of type "UNLIMITED" for that user
    When the end user opens the token
    Then the answer status is 201
    And the instance shows the error form "noPasscode" for the error "PASSCODE_NOT_REGISTERED"
    When the end user continues past the error form
    Then the instance waits at the registration form "passcodeRegistrationForm"
    When the browser answers the registration form with a new passcode
    Then the instance is "COMPLETED" with decision "PASS"
    And the instance took the branches "getUser: default, startPasscodeRenewal: errorCode PASSCODE_NOT_REGISTERED, simpleDecider: decision PASS"
    And the instance history is "start, getUser, startPasscodeRenewal, noPasscode, startPasscodeRegistration, passcodeRegistrationForm, completePasscodeRegistration, simpleDecider, endPass"
    And the new passcode of the process user authenticates

  @PRC-010 @must
  Scenario: a wrong existing passcode shows the error form, and the retry PASSes
    Given a process user with a registered passcode
    And a process token of "passcodeRenewalFull" of type "UNLIMITED" for that user
    When the end user opens the token
    And the browser answers the form with a wrong existing passcode and a new passcode
    Then the answer status is 200
    And the instance shows the error form "wrongPasscode" for the error "INVALID_PROOF"
    And the existing passcode of the process user still authenticates
    When the end user continues past the error form
    Then the instance waits at "passcodeRenewalFormRetry" with starting component "passcode-renewal" and UI component "passcode-renewal"
    When the browser answers the form with the existing passcode and a new passcode
    Then the instance is "COMPLETED" with decision "PASS"
    And the server's m2 verifies
    And the instance took the branches "getUser: default, startPasscodeRenewal: default, completePasscodeRenewal: errorCode INVALID_PROOF, simpleDecider: decision PASS"
    And the new passcode of the process user authenticates

  @PRC-011 @must
  Scenario: a wrong existing passcode twice ends in FAIL, and nothing changes
    Given a process user with a registered passcode
    And a process token of "passcodeRenewalFull" of type "UNLIMITED" for that user
    When the end user opens the token
    And the browser answers the form with a wrong existing passcode and a new passcode
    And the end user continues past the error form
    And the browser answers the form with a wrong existing passcode and a new passcode
    Then the instance is "COMPLETED" with decision "FAIL"
    And the instance result's error code is "INVALID_PROOF"
    And the instance took the branches "getUser: default, startPasscodeRenewal: default, completePasscodeRenewal: errorCode INVALID_PROOF, simpleDecider: decision FAIL"
    And the instance history is "start, getUser, startPasscodeRenewal, passcodeRenewalForm, completePasscodeRenewal, wrongPasscode, startPasscodeRenewalRetry, passcodeRenewalFormRetry, completePasscodeRenewalRetry, simpleDecider, endFail"
    And the existing passcode of the process user still authenticates

  @PRC-012 @must
  Scenario: a reused passcode shows its error form, and the retry with another PASSes
    Given a process user with a registered passcode
    And a process token of "passcodeRenewalFull" of type "UNLIMITED" for that user
    When the end user opens the token
    And the browser answers the form with the existing passcode as the new passcode
    Then the instance shows the error form "reusedPasscode" for the error "PASSCODE_HISTORY_VIOLATION"
    When the end user continues past the error form
    And the browser answers the form with the existing passcode and a new passcode
    Then the instance is "COMPLETED" with decision "PASS"
    And the instance took the branches "getUser: default, startPasscodeRenewal: default, completePasscodeRenewal: errorCode PASSCODE_HISTORY_VIOLATION, simpleDecider: decision PASS"
    And the new passcode of the process user authenticates

  @PRC-013 @must
  Scenario: a locked user is shown the locked error form and the decider says FAIL
    Given a process user locked out by failed authentications
    And a process token of "passcodeRenewalFull" of type "UNLIMITED" for that user
    When the end user opens the token
    Then the answer status is 201
    And the instance shows the error form "lockedUser" for the error "USER_LOCKED"
    When the end user continues past the error form
    Then the instance is "COMPLETED" with decision "FAIL"
    And the instance result's error code is "USER_LOCKED"
    And the instance took the branches "getUser: default, startPasscodeRenewal: errorCode USER_LOCKED, simpleDecider: decision FAIL"
    And the instance history is "start, getUser, startPasscodeRenewal, lockedUser, simpleDecider, endFail"

  @PRC-014 @must
  Scenario: a session gone stale under the form ends in REVIEW by the decider's default flow
    Given a process user with a registered passcode
    And a process token of "passcodeRenewalFull" of type "UNLIMITED" for that user
    When the end user opens the token
    And the process user's passcode is renewed over the API meanwhile
    And the browser answers the form with the existing passcode and a new passcode
    Then the instance is "COMPLETED" with decision "REVIEW"
    And the instance result's error code is "STALE_SESSION"
    And the instance took the branches "getUser: default, startPasscodeRenewal: default, completePasscodeRenewal: default, simpleDecider: default"
    And the instance history is "start, getUser, startPasscodeRenewal, passcodeRenewalForm, completePasscodeRenewal, simpleDecider, endReview"
    And the existing passcode of the process user still authenticates

  @PRC-015 @must
  Scenario: Get User that finds no user shows its error form and the decider says FAIL
    Given a process token of "passcodeRenewalFull" of type "UNLIMITED" for an unknown user
    When the end user opens the token
    Then the answer status is 201
    And the instance shows the error form "unknownUser" for the error "USER_NOT_FOUND"
    When the end user continues past the error form
    Then the instance is "COMPLETED" with decision "FAIL"
    And the instance took the branches "getUser: errorCode USER_NOT_FOUND, simpleDecider: decision FAIL"
    And the instance history is "start, getUser, unknownUser, simpleDecider, endFail"

  @PRC-016 @must
  Scenario: the full flow's default path renews the passcode
    Given a process user with a registered passcode
    And a process token of "passcodeRenewalFull" of type "UNLIMITED" for that user
    When the end user opens the token
    Then the instance waits at "passcodeRenewalForm" with starting component "passcode-renewal" and UI component "passcode-renewal"
    When the browser answers the form with the existing passcode and a new passcode
    Then the instance is "COMPLETED" with decision "PASS"
    And the server's m2 verifies
    And the instance took the branches "getUser: default, startPasscodeRenewal: default, completePasscodeRenewal: default, simpleDecider: decision PASS"
    And the instance history is "start, getUser, startPasscodeRenewal, passcodeRenewalForm, completePasscodeRenewal, simpleDecider, endPass"
    And the new passcode of the process user authenticates

  @PRC-017 @must
  Scenario: the process activities list Get User and the error form with their parameters
    Then the process activities list "getUser" with the parameters "storeName, userExternalId, userId, userKey" and the branches "errorCode, userStatus"
    And the process activities list "errorForm" with the parameters "dataFormName, dataFormVersion, formDataKey, startingComponentId, uiComponentId" and the branches ""
    And the process activities list "simpleDecider" with the parameters "" and the branches "decision"
    And the process activities list "startPasscodeRenewal" with the parameters "passcodePolicy, passcodeRenewalKey, storeName, userExternalId, userId, userKey" and the branches "errorCode"

  @PRC-018 @must
  Scenario Outline: deploying the full flow with <change> is refused naming the node, and nothing is deployed
    When the full renewal definition is deployed with <change>
    Then the answer status is 400
    And the answer code is "INVALID_REQUEST"
    And the answer message names node "<node>"
    And no new version of the full renewal definition was deployed

    Examples:
      | change                                                                 | node                      |
      | no default flow out of getUser                                         | getUser                   |
      | two default flows out of simpleDecider                                 | simpleDecider             |
      | a flow out of simpleDecider with neither condition nor default         | simpleDecider             |
      | a condition on the default flow out of simpleDecider                   | simpleDecider             |
      | the decision MAYBE on a flow out of simpleDecider                      | simpleDecider             |
      | the error code WRONG_PASSCODE on a flow out of completePasscodeRenewal | completePasscodeRenewal   |
      | the user status ASLEEP on a flow out of getUser                        | getUser                   |
      | a decision on a flow out of startPasscodeRenewal                       | startPasscodeRenewal      |
      | a condition on the flow out of the error form wrongPasscode            | wrongPasscode             |
      | two flows testing PASSCODE_NOT_REGISTERED out of startPasscodeRenewal  | startPasscodeRenewal      |
      | a retry that loops back to passcodeRenewalForm                         | passcodeRenewalForm       |
      | no flow into the error form noPasscode                                 | noPasscode                |
      | two fields in the condition of a flow out of getUser                   | getUser                   |
      | a second flow out of the error form lockedUser                         | lockedUser                |
      | a retry whose user is stored on one path only                          | startPasscodeRenewalRetry |
      | an error form lockedUser that shows the renewal form                   | lockedUser                |
