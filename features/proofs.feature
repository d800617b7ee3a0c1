Feature: SRP parameters, proofs and M2
  SPEC.md section 6. The start answers name the target's group, generator and hash
  and a long enough salt; the server accepts every encoding that receivers MUST
  accept; it never answers M2 (nor anything derived from S) for a wrong M1; and its
  own values are encoded as senders SHOULD.

  @PRF-001 @must
  Scenario Outline: the <flow> start names the target's group, generator and hash
    Given a user ready for the <flow>
    When the client starts the <flow> for the user by user id
    Then the answer is 200
    And the SRP parameters are the target's group, generator and hash

    Examples:
      | flow           |
      | registration   |
      | authentication |
      | renewal        |

  @PRF-002 @must
  Scenario Outline: the <flow> start's salt is base64url without padding and at least 16 bytes
    Given a user ready for the <flow>
    When the client starts the <flow> for the user by user id
    Then the answer is 200
    And the salt is base64url without padding and at least 16 bytes long

    Examples:
      | flow           |
      | registration   |
      | authentication |
      | renewal        |

  @PRF-003 @should
  Scenario: n and serverPublicKey are padded to the length of N
    Given a user with a registered passcode
    When the client starts 128 authentications for the user
    Then every n and serverPublicKey is exactly as long as N

  @PRF-004 @must
  Scenario Outline: a wrong m1 in the <flow> flow gets INVALID_PROOF and nothing derived from S
    Given a user with a registered passcode
    When the client starts the <flow> for the user by user id
    And the client proves a wrong passcode
    Then the answer is 400 INVALID_PROOF
    And the answer holds no m2

    Examples:
      | flow           |
      | authentication |
      | renewal        |

  @PRF-005 @must
  Scenario Outline: an m1 with its leading zero bytes stripped is accepted in the <flow> flow
    Given a user with a registered passcode
    When the client starts the <flow> for the user by user id
    And the client completes the session with an m1 that has a leading zero byte, sent stripped of it
    Then the answer is 200
    And the answer's m2 verifies

    Examples:
      | flow           |
      | authentication |
      | renewal        |

  @PRF-006 @must
  Scenario Outline: an m1 with one extra leading 0x00, as Java writes it, is accepted in the <flow> flow
    Given a user with a registered passcode
    When the client starts the <flow> for the user by user id
    And the client completes the session with an m1 whose top bit is set, sent with an extra leading zero byte
    Then the answer is 200
    And the answer's m2 verifies

    Examples:
      | flow           |
      | authentication |
      | renewal        |

  @PRF-007 @must
  Scenario: an a with a leading zero byte is accepted unpadded
    Given a user with a registered passcode
    When the client starts an authentication for the user by user id
    And the client completes the session with an A that has a leading zero byte, sent stripped of it
    Then the answer is 200
    And the answer's m2 verifies

  @PRF-008 @must
  Scenario Outline: a renewal with the <value> <encoding> is accepted
    Given a user with a registered passcode
    When the client starts a renewal for the user by user id
    And the client completes the session with the <value> <encoding>
    Then the answer is 200
    And the answer's m2 verifies
    And the new passcode authenticates

    Examples:
      | value    | encoding                               |
      | a        | in the base64url alphabet              |
      | a        | without = padding                      |
      | a        | in base64url without = padding         |
      | a        | with one extra leading zero byte       |
      | verifier | in the base64url alphabet              |
      | verifier | without = padding                      |
      | verifier | in base64url without = padding         |
      | verifier | with one extra leading zero byte       |

  @PRF-008 @must
  Scenario Outline: a registration with the verifier <encoding> is accepted
    The registration decodes its verifier as the renewal does: a handler of one flow
    written with a strict decoder refuses what the other flows accept.
    Given a user without a passcode
    When the client starts a registration for the user by user id
    And the client completes the session with the verifier <encoding>
    Then the answer is 200
    And the new passcode authenticates

    Examples:
      | encoding                               |
      | in the base64url alphabet              |
      | without = padding                      |
      | in base64url without = padding         |
      | with one extra leading zero byte       |

  @PRF-008 @must
  Scenario Outline: an authentication with the a <encoding> is accepted
    Given a user with a registered passcode
    When the client starts an authentication for the user by user id
    And the client completes the session with the a <encoding>
    Then the answer is 200
    And the answer's m2 verifies

    Examples:
      | encoding                               |
      | in the base64url alphabet              |
      | without = padding                      |
      | in base64url without = padding         |
      | with one extra leading zero byte       |

  @PRF-009 @should
  Scenario Outline: the m2 of the <flow> flow is standard base64 of exactly the hash size
    Given a user with a registered passcode
    When the client starts the <flow> for the user by user id
    And the client completes the session correctly
    Then the answer is 200
    And the answer's m2 is standard padded base64 of exactly the hash size

    Examples:
      | flow           |
      | authentication |
      | renewal        |

  @PRF-010 @may @rfc2945
  Scenario Outline: the proofs of the <flow> flow follow the rfc2945 profile
    Given a user with a registered passcode
    When the client starts the <flow> for the user by user id
    And the client completes the session with an M1 of the rfc5054-padded profile
    Then the answer is 400 INVALID_PROOF
    When the client starts the <flow> for the user by user id
    And the client completes the session correctly
    Then the answer is 200
    And the answer's m2 verifies

    Examples:
      | flow           |
      | authentication |
      | renewal        |
