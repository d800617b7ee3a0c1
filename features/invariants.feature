Feature: Invariants of every exchange
  SPEC.md sections 2, 4, 10 and 11, checked on every answer the suite sees, not only
  where a step looks: no 5xx for any request (INV-001), Content-Type
  application/json on every JSON answer (INV-002), the section 10 error body on every
  non-2xx answer (INV-003), a status and body that match openapi.yaml for the
  operation (INV-004), and no verifier the suite sent or derived, nor another user's
  salt, in any answer and any encoding (INV-005).

  Every scenario of the run feeds these checks: a breach anywhere fails that
  scenario and is reported under the invariant's id, with the exchange as evidence,
  whatever the scenario expected. The scenarios below give each invariant a home of
  its own: they provoke every kind of answer once and then look.

  @INV-001 @must
  Scenario: no answer of a full renewal, its errors and its reads is a 5xx
    Given a user with a registered passcode
    When the client provokes a renewal success answer
    And the client provokes a 400 answer
    And the client provokes a 404 answer
    And the client provokes a 413 answer
    Then no answer so far broke the invariant INV-001

  @INV-002 @must
  Scenario: every JSON answer of a renewal and its errors says it is JSON
    Given a user with a registered passcode
    When the client provokes a renewal success answer
    And the client provokes a 401 answer
    And the client provokes a 403 answer
    Then no answer so far broke the invariant INV-002

  @INV-003 @must
  Scenario: every error answer has the section 10 body
    Given a user with a registered passcode
    When the client provokes a 400 answer
    And the client provokes a 401 answer
    And the client provokes a 403 answer
    And the client provokes a 404 answer
    And the client provokes a 413 answer
    Then no answer so far broke the invariant INV-003

  @INV-004 @must
  Scenario: start, completion and error answers match openapi.yaml
    Given a user with a registered passcode
    When the client provokes a renewal start answer
    And the client provokes a renewal success answer
    And the client provokes a 400 answer
    And the client provokes a 404 answer
    Then no answer so far broke the invariant INV-004

  @INV-005 @must
  Scenario: no answer of registrations, renewals, refusals and another user's starts carries a verifier or another user's salt
    The refusal is a history violation, whose verifier a careless message would
    name; the second user's starts carry a salt that must not be the first user's.
    Given a user with a registered passcode
    When the client provokes a renewal success answer
    And the client provokes a renewal success answer
    And the client renews the passcode back to the current passcode
    And the client starts an authentication for the user by user id
    And another user with a registered passcode is made
    And the client starts a renewal for the user by user id
    And the client starts an authentication for the user by user id
    Then no answer so far broke the invariant INV-005
