Feature: Passcode requirements
  SPEC.md section 8. The server returns a policy's requirements verbatim with the
  registration and renewal starts; it never sees a passcode, so the client checks
  the new passcode against them before it sends a verifier.

  @REQ-001 @must
  Scenario Outline: the <flow> start returns the "<policy>" policy exactly as the target defines it
    Given a user ready for the <flow>
    When the client starts the <flow> for the user by user id under the "<policy>" policy
    Then the answer is 200
    And the answer's requirements are those of the "<policy>" policy

    Examples:
      | flow         | policy    |
      | registration | standard  |
      | registration | pin6      |
      | registration | nohistory |
      | renewal      | standard  |
      | renewal      | pin6      |
      | renewal      | nohistory |

  @REQ-002 @must @admin
  Scenario Outline: a policy with <rule> is returned verbatim and "<good>" registers under it
    Given a policy with the requirements <requirements>
    And a user without a passcode
    When the client starts the registration for the user by user id under that policy
    Then the answer is 200
    And the answer's requirements are exactly <requirements>
    And the passcode "<good>" meets them and "<bad>" breaks <rule>
    When the client completes the registration with the verifier of "<good>"
    Then the answer is 200
    And the new passcode authenticates

    Examples:
      | rule              | requirements                                                                        | good        | bad         |
      | minimumLength     | {"minimumLength": 8}                                                                | abcdefgh    | abcdefg     |
      | maximumLength     | {"maximumLength": 8}                                                                | abcdefgh    | abcdefghi   |
      | digitCount        | {"digitCount": 2}                                                                   | ab12        | ab1c        |
      | symbolCount       | {"symbolCount": 2}                                                                  | a!b?        | a!bc        |
      | lowerCaseCount    | {"lowerCaseCount": 2}                                                               | ABcd        | ABCd        |
      | upperCaseCount    | {"upperCaseCount": 2}                                                               | abCD        | abcD        |
      | characterVariety  | {"characterVariety": 3}                                                             | aB1         | aBc         |
      | requiredRegExes[0] | {"requiredRegExes": [{"pattern": "^[A-Z]", "error": "must start with a capital"}]} | Abc         | abc         |
      | disallowedRegExes[0] | {"disallowedRegExes": [{"pattern": "(?i)password", "error": "no password"}]}    | secret      | myPassWord1 |
      | allowedRegExes    | {"allowedRegExes": [{"pattern": "^[0-9]{6}$", "error": "six digits"}]}              | 123456      | 12345a      |
      | maximumLength     | {"minimumLength": 4, "maximumLength": 4}                                            | café       | cafés       |

  @REQ-003 @must @admin
  Scenario: the guide's example policy, empty patterns included, is returned verbatim
    Given a policy with the requirements {"minimumLength": 6, "maximumLength": 12, "digitCount": 1, "symbolCount": 1, "lowerCaseCount": 1, "upperCaseCount": 1, "characterVariety": 1, "passcodeHistory": 1, "requiredRegExes": [{"pattern": "", "error": ""}], "allowedRegExes": [{"pattern": "", "error": ""}], "disallowedRegExes": [{"pattern": "", "error": ""}]}
    And a user without a passcode
    When the client starts the registration for the user by user id under that policy
    Then the answer is 200
    And the answer's requirements are exactly {"minimumLength": 6, "maximumLength": 12, "digitCount": 1, "symbolCount": 1, "lowerCaseCount": 1, "upperCaseCount": 1, "characterVariety": 1, "passcodeHistory": 1, "requiredRegExes": [{"pattern": "", "error": ""}], "allowedRegExes": [{"pattern": "", "error": ""}], "disallowedRegExes": [{"pattern": "", "error": ""}]}
    When the client completes the registration with the verifier of "Guide-Ex-1"
    Then the answer is 200
    And the new passcode authenticates
