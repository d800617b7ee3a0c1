Feature: Tenant isolation
  SPEC.md sections 1, 3 and 7. Every path and every permission names one tenant; a
  tenant's token is worth nothing on another tenant's paths, and a tenant's users and
  sessions cannot be reached through another tenant's paths.

  @TEN-001 @must @other-tenant
  Scenario Outline: the other tenant's token cannot <request> of this tenant
    Given a user with a registered passcode
    And the client uses the other tenant's token
    When the client sends <request>
    Then the answer is 403 FORBIDDEN

    Examples:
      | request                                  |
      | a renewal start by user id               |
      | a renewal start by external id           |
      | a renewal completion                     |
      | an authentication start by user id       |

  @TEN-002 @must @other-tenant
  Scenario Outline: a user of this tenant is not found through the other tenant's paths by <form>
    Given a user with a registered passcode
    And the client acts as the other tenant
    When the client starts the renewal for the user by <form>
    Then the answer is 404 USER_NOT_FOUND

    Examples:
      | form        |
      | user id     |
      | external id |

  @TEN-003 @must @other-tenant
  Scenario Outline: a session of the <flow> flow of this tenant is not found through the other tenant's paths
    Given a user ready for the <flow>
    When the client starts the <flow> for the user by user id
    And the client acts as the other tenant
    And the client completes the session correctly
    Then the answer is 404 SESSION_NOT_FOUND

    Examples:
      | flow           |
      | registration   |
      | authentication |
      | renewal        |

  @TEN-004 @must @other-tenant @admin
  Scenario: the same external id in two tenants names two independent users
    Given a user with a registered passcode
    And a user of the other tenant with the same external id and a registered passcode
    When the client renews the passcode of the user of this tenant
    Then the answer is 200
    And the passcode of the other tenant's user still authenticates there

  @TEN-005 @must @other-tenant @admin
  Scenario Outline: the other tenant's admin cannot reach this tenant's user by its user id with <request>
    SPEC.md sections 1 and 3: every path names one tenant, and a tenant is isolated.
    User ids are unique everywhere, so a handler that looks a user up by its id alone
    finds it through any tenant's path; the other tenant's admin token is valid for
    that path, so only the lookup stands between it and this tenant's user.
    Given a user with a registered passcode
    And the client acts as the other tenant
    When the client sends <request> for the user by user id
    Then the answer is 404 USER_NOT_FOUND
    And the passcode still authenticates

    Examples:
      | request                      |
      | an admin user read           |
      | an admin credential deletion |
