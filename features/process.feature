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
