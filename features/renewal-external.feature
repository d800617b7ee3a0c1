Feature: Renewal by external id
  SPEC.md sections 1 and 4. The caller names the user by its own key, the external
  id, with the "/ext" form of the start path; the completion is the same.

  @EXT-001 @must
  Scenario: a user renews a registered passcode by external id
    Given a user with a registered passcode
    When the client starts a renewal for the user by external id
    Then the answer is 200
    And the start answer has the renewal shape
    When the client proves the old passcode and sends the verifier of a new passcode
    Then the answer is 200
    And the answer's m2 verifies
    And the answer names the user
    And the new passcode authenticates
    And the old passcode no longer authenticates

  @EXT-002 @must
  Scenario: starts by user id and by external id name the same credential
    Given a user with a registered passcode
    When the client starts a renewal for the user by external id
    Then the answer is 200
    And the identity i and the salt are those of the user's credential
    When the client starts a renewal for the user by user id
    Then the answer is 200
    And the identity i and the salt are those of the user's credential

  @EXT-003 @should @admin
  Scenario Outline: an external id with <kind> works once escaped in the path
    Given a user with the external id "<externalId>" and a registered passcode
    When the client starts a renewal for the user by external id
    Then the answer is 200
    When the client proves the old passcode and sends the verifier of a new passcode
    Then the answer is 200
    And the answer's m2 verifies

    Examples:
      | kind                 | externalId              |
      | an e-mail address    | user+tag@example.com    |
      | spaces and accents   | Zoë Ünïcode Ñame        |
      | reserved characters  | a;b=c&d?e#f             |
      | a percent sign       | 100% sure               |
      | a slash              | dept/alice              |
