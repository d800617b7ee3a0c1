Feature: Bad input
  SPEC.md section 2. Malformed JSON, wrong types and missing required fields are 400
  INVALID_REQUEST; bodies over 64 KiB are 413; no input from a client produces a
  5xx; and a request that fails changes nothing. In the bodies below $A, $M1 and $V
  stand for a well-formed a, m1 and verifier computed for the session, $M1_64 for
  64 bytes of base64 and $INVALID_UTF8 for a body with bytes that are not UTF-8.

  @BAD-001 @must
  Scenario Outline: a renewal completion with <defect> is 400 and changes nothing
    Given a user with a registered passcode
    When the client starts a renewal for the user by user id
    And the client completes the session with the body <body>
    Then the answer is 400 INVALID_REQUEST
    And the passcode still authenticates

    Examples:
      | defect                                | body                                                                                   |
      | a body that is not JSON               | not json                                                                               |
      | a truncated JSON object               | {"srpRegistrationData":                                                                |
      | a JSON array                          | []                                                                                     |
      | JSON null                             | null                                                                                   |
      | a JSON string                         | "renew"                                                                                |
      | an empty object                       | {}                                                                                     |
      | no srpRegistrationData                | {"srpVerificationData":{"a":"$A","m1":"$M1"}}                                          |
      | no srpVerificationData                | {"srpRegistrationData":{"verifier":"$V"}}                                              |
      | no verifier                           | {"srpRegistrationData":{},"srpVerificationData":{"a":"$A","m1":"$M1"}}                 |
      | no a                                  | {"srpRegistrationData":{"verifier":"$V"},"srpVerificationData":{"m1":"$M1"}}           |
      | no m1                                 | {"srpRegistrationData":{"verifier":"$V"},"srpVerificationData":{"a":"$A"}}             |
      | an empty verifier                     | {"srpRegistrationData":{"verifier":""},"srpVerificationData":{"a":"$A","m1":"$M1"}}    |
      | a verifier that is a number           | {"srpRegistrationData":{"verifier":12345},"srpVerificationData":{"a":"$A","m1":"$M1"}} |
      | an a that is an array                 | {"srpRegistrationData":{"verifier":"$V"},"srpVerificationData":{"a":["$A"],"m1":"$M1"}} |
      | an m1 that is an object               | {"srpRegistrationData":{"verifier":"$V"},"srpVerificationData":{"a":"$A","m1":{}}}     |
      | srpVerificationData that is a string  | {"srpRegistrationData":{"verifier":"$V"},"srpVerificationData":"$A"}                   |
      | an a that is not base64               | {"srpRegistrationData":{"verifier":"$V"},"srpVerificationData":{"a":"not*base64!","m1":"$M1"}} |
      | an m1 that is not base64              | {"srpRegistrationData":{"verifier":"$V"},"srpVerificationData":{"a":"$A","m1":"@@@@"}} |
      | a verifier that is not base64         | {"srpRegistrationData":{"verifier":"%%%%"},"srpVerificationData":{"a":"$A","m1":"$M1"}} |
      | an m1 of 64 bytes                     | {"srpRegistrationData":{"verifier":"$V"},"srpVerificationData":{"a":"$A","m1":"$M1_64"}} |
      | bytes that are not UTF-8              | $INVALID_UTF8                                                                          |

  @BAD-002 @must
  Scenario Outline: an authentication completion with <defect> is 400 and changes nothing
    Given a user with a registered passcode
    When the client starts an authentication for the user by user id
    And the client completes the session with the body <body>
    Then the answer is 400 INVALID_REQUEST
    And the passcode still authenticates

    Examples:
      | defect                    | body                                              |
      | a body that is not JSON   | {{{                                               |
      | an empty object           | {}                                                |
      | no a                      | {"srpVerificationData":{"m1":"$M1"}}              |
      | no m1                     | {"srpVerificationData":{"a":"$A"}}                |
      | an a that is a number     | {"srpVerificationData":{"a":7,"m1":"$M1"}}        |
      | an a that is not base64   | {"srpVerificationData":{"a":"!!","m1":"$M1"}}     |

  @BAD-003 @must
  Scenario Outline: a registration completion with <defect> is 400 and registers nothing
    Given a user without a passcode
    When the client starts a registration for the user by user id
    And the client completes the session with the body <body>
    Then the answer is 400 INVALID_REQUEST
    And the user still has no passcode

    Examples:
      | defect                        | body                                            |
      | a body that is not JSON       | verifier=abc                                    |
      | an empty object               | {}                                              |
      | no verifier                   | {"srpRegistrationData":{}}                      |
      | an empty verifier             | {"srpRegistrationData":{"verifier":""}}         |
      | a verifier that is a boolean  | {"srpRegistrationData":{"verifier":true}}       |
      | a verifier that is not base64 | {"srpRegistrationData":{"verifier":"$$$$"}}     |

  @BAD-004 @must
  Scenario Outline: the <flow> start by <form> with <kind> is accepted
    Given a user ready for the <flow>
    When the client starts the <flow> for the user by <form> with the body <body>
    Then the answer is 200

    Examples:
      | flow           | form        | kind            | body     |
      | registration   | user id     | no body         | <absent> |
      | registration   | user id     | an empty object | {}       |
      | registration   | external id | no body         | <absent> |
      | registration   | external id | an empty object | {}       |
      | authentication | user id     | no body         | <absent> |
      | authentication | user id     | an empty object | {}       |
      | authentication | external id | no body         | <absent> |
      | authentication | external id | an empty object | {}       |
      | renewal        | user id     | no body         | <absent> |
      | renewal        | user id     | an empty object | {}       |
      | renewal        | external id | no body         | <absent> |
      | renewal        | external id | an empty object | {}       |

  @BAD-005 @must
  Scenario Outline: a renewal start with <defect> is 400
    Given a user with a registered passcode
    When the client starts a renewal for the user by user id with the body <body>
    Then the answer is 400 INVALID_REQUEST

    Examples:
      | defect                  | body   |
      | a body that is not JSON | hello  |
      | a truncated object      | {      |
      | a JSON array            | []     |
      | a JSON number           | 42     |

  @BAD-006 @must
  Scenario Outline: a <request> with a body over 64 KiB is 413
    Given a user ready for the <flow>
    When the client sends a <request> with a body of 65537 bytes
    Then the answer is 413 PAYLOAD_TOO_LARGE

    Examples:
      | request                    | flow           |
      | renewal start              | renewal        |
      | renewal completion         | renewal        |
      | authentication completion  | authentication |
      | registration completion    | registration   |

  @BAD-007 @must
  Scenario Outline: an odd <where> "<segment>" gets a 4xx answer, never a 5xx
    Given a user with a registered passcode
    When the client sends a renewal request with the <where> path segment <segment>
    Then the answer is a 4xx answer

    Examples:
      | where       | segment                    |
      | user id     | %00                        |
      | user id     | %2E%2E                     |
      | user id     | %FF%FE                     |
      | user id     | $LONG                      |
      | user id     | '%20OR%20'1'%3D'1          |
      | external id | %E5%90%8D%E5%89%8D         |
      | external id | %252F%252E%252E            |
      | external id | %0D%0AX-Injected:%201      |
      | policy      | %00                        |
      | policy      | ..%2F..%2Fetc%2Fpasswd     |
      | policy      | $LONG                      |
      | session id  | %00                        |
      | session id  | $LONG                      |
      | session id  | %FF                        |

  @BAD-008 @must
  Scenario: every request of the reference bad-input corpus gets the answer SPEC.md names
    Given a user with a registered passcode
    When the client sends each request of the bad-input corpus where SPEC.md decides the answer
    Then each got its status, never a 5xx, and the victim's passcode still authenticated after it

  @BAD-009 @should
  Scenario: the requests of the bad-input corpus where SPEC.md is silent get the reference server's answer
    Given a user with a registered passcode
    When the client sends each request of the bad-input corpus where renewkit chose the answer
    Then each got its status, never a 5xx, and the victim's passcode still authenticated after it

  @BAD-010 @must
  Scenario Outline: a well-formed <flow> <request> of <size> bytes is answered <status>
    SPEC.md section 2: bodies over 64 KiB are 413, so 65,536 bytes is not over:
    a request a correct server accepts, padded with JSON whitespace to exactly
    65,536 bytes, is still accepted, and one byte more is 413.
    Given a user ready for the <flow>
    When the client sends a well-formed <flow> <request> padded with whitespace to <size> bytes
    Then the answer is <status>

    Examples:
      | flow           | request    | size  | status                |
      | registration   | start      | 65536 | 200                   |
      | registration   | start      | 65537 | 413 PAYLOAD_TOO_LARGE |
      | authentication | start      | 65536 | 200                   |
      | authentication | start      | 65537 | 413 PAYLOAD_TOO_LARGE |
      | renewal        | start      | 65536 | 200                   |
      | renewal        | start      | 65537 | 413 PAYLOAD_TOO_LARGE |
      | registration   | completion | 65536 | 200                   |
      | registration   | completion | 65537 | 413 PAYLOAD_TOO_LARGE |
      | authentication | completion | 65536 | 200                   |
      | authentication | completion | 65537 | 413 PAYLOAD_TOO_LARGE |
      | renewal        | completion | 65536 | 200                   |
      | renewal        | completion | 65537 | 413 PAYLOAD_TOO_LARGE |
