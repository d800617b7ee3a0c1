Feature: SRP public values and verifiers
  SPEC.md section 6, "Checks". The server refuses a client public value A with
  A mod N = 0, A >= N, A = 1 or A = N - 1 (400 INVALID_PUBLIC_VALUE) even when the
  proof is forged to match what a careless server would compute, and a verifier
  outside 1 < v < N - 1 (400 INVALID_VERIFIER). Its own B is in range and fresh.

  The range is the full one: A+N and A+2N are an ordinary public value A plus N
  (or 2N), sent with the proof that is correct for A, so a server that reduces A
  mod N before its range check accepts them. A+N is drawn to fit in len(N) bytes,
  past a server that bounds only the byte length. Likewise v+N and v+2N are the
  verifier v of a new passcode plus N (or 2N), which a server that stores v mod N
  accepts, and 2N-1 is N-1 plus N.

  @PUB-001 @must
  Scenario Outline: a completion of the <flow> flow with A = <A> and a proof forged for it is refused
    Given a user with a registered passcode
    When the client starts the <flow> for the user by user id
    And the client completes the session with A = <A> and a proof forged for it
    Then the answer is 400 INVALID_PUBLIC_VALUE
    And the answer holds no m2
    And the passcode still authenticates

    Examples:
      | flow           | A    |
      | authentication | 0    |
      | authentication | N    |
      | authentication | 2N   |
      | authentication | 1    |
      | authentication | N-1  |
      | authentication | A+N  |
      | authentication | A+2N |
      | renewal        | 0    |
      | renewal        | N    |
      | renewal        | 2N   |
      | renewal        | 1    |
      | renewal        | N-1  |
      | renewal        | A+N  |
      | renewal        | A+2N |

  @PUB-002 @must
  Scenario Outline: the <flow> completion with the verifier <v> is refused
    Given a user ready for the <flow>
    When the client starts the <flow> for the user by user id
    And the client completes the session correctly but with the verifier <v>
    Then the answer is 400 INVALID_VERIFIER
    And nothing moved for the user

    Examples:
      | flow         | v    |
      | registration | 0    |
      | registration | 1    |
      | registration | N-1  |
      | registration | N    |
      | registration | N+1  |
      | registration | v+N  |
      | registration | v+2N |
      | registration | 2N-1 |
      | renewal      | 0    |
      | renewal      | 1    |
      | renewal      | N-1  |
      | renewal      | N    |
      | renewal      | N+1  |
      | renewal      | v+N  |
      | renewal      | v+2N |
      | renewal      | 2N-1 |

  @PUB-003 @must
  Scenario: the server's B is in range and fresh for every session
    Given a user with a registered passcode
    When the client starts 32 authentications for the user
    Then every serverPublicKey is in the range 0 < B < N
    And no two sessions share a serverPublicKey or a session id
