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

  @EXT-004 @must
  Scenario Outline: the <flow> start by the upper-cased external id of a user is 404
    SPEC.md section 2: external ids are compared as exact bytes, with no case
    folding, so another case of an existing id names no user.
    Given a user with a registered passcode
    When the client starts the <flow> for the user by its external id upper-cased
    Then the answer is 404 USER_NOT_FOUND

    Examples:
      | flow           |
      | registration   |
      | authentication |
      | renewal        |

  @EXT-005 @must @admin
  Scenario Outline: the <flow> start by the <asked> form of an external id created in <made> is 404
    SPEC.md section 2: no Unicode normalization either. "é" as U+00E9 (NFC) and as
    "e" + U+0301 (NFD) are different external ids; in both directions, so that a
    server normalizing on creation and one normalizing on lookup both fail.
    Given a user with a registered passcode whose external id has accents in <made>
    When the client starts the <flow> for the user by its external id in <asked>
    Then the answer is 404 USER_NOT_FOUND

    Examples:
      | flow           | made | asked |
      | registration   | NFC  | NFD   |
      | authentication | NFC  | NFD   |
      | renewal        | NFC  | NFD   |
      | registration   | NFD  | NFC   |
      | authentication | NFD  | NFC   |
      | renewal        | NFD  | NFC   |

  @EXT-006 @must @admin
  Scenario Outline: a user with an external id <kind> is created, found and named by exactly that id
    SPEC.md section 2: "any UTF-8 external id of up to 256 code points is
    accepted". The id comes back byte for byte from the creation, the admin read
    and every completion, and each flow starts by it.
    When the client creates a user with an external id <kind>
    Then the answer is 201
    And the answer is a user object with a 26-character id, the external id, status ACTIVE and a creation date
    When the client reads the user by external id
    Then the answer is 200
    And the answer is the user's object
    When the client starts a registration for the user by external id
    And the client completes the registration with the verifier of a new passcode
    Then the answer is 200
    And the answer names the user
    When the client starts an authentication for the user by external id
    And the client proves the passcode
    Then the answer is 200
    And the answer names the user
    When the client starts a renewal for the user by external id
    And the client proves the old passcode and sends the verifier of a new passcode
    Then the answer is 200
    And the answer's m2 verifies
    And the answer names the user

    Examples:
      | kind                                   |
      | mixing Latin accents, an emoji and CJK |
      | of 256 code points                     |
      | with a combining accent                |
