Feature: Host-form paths
  SPEC.md section 2. A server SHOULD also accept the host form of the guide's
  example URL, /stores/... with the tenant taken from the first DNS label of the
  Host header (acme.example.test is tenant acme).

  @HOST-001 @should @host-paths
  Scenario: the guide's renewal flow works in the host form
    Given a user with a registered passcode
    And the client uses the host form
    When the client starts a renewal for the user by user id
    Then the answer is 200
    And the start answer has the renewal shape
    When the client proves the old passcode and sends the verifier of a new passcode
    Then the answer is 200
    And the answer's m2 verifies
    And the new passcode authenticates

  @HOST-002 @should @host-paths
  Scenario: registration and authentication by external id work in the host form
    Given a user without a passcode
    And the client uses the host form
    When the client starts a registration for the user by external id
    And the client completes the registration with the verifier of a new passcode
    Then the answer is 200
    When the client starts an authentication for the user by external id
    And the client proves the passcode
    Then the answer is 200
    And the answer's m2 verifies

  @HOST-003 @should @host-paths @other-tenant
  Scenario: the tenant of the Host header is the one whose permission counts
    Given a user with a registered passcode
    And the client uses the host form of the other tenant
    When the client starts a renewal for the user by user id
    Then the answer is 403 FORBIDDEN

  @HOST-004 @should @host-paths
  Scenario: a session started in the canonical form completes in the host form
    Given a user with a registered passcode
    When the client starts a renewal for the user by user id
    And the client uses the host form
    And the client proves the old passcode and sends the verifier of a new passcode
    Then the answer is 200
    And the answer's m2 verifies
