Feature: Not found
  SPEC.md section 4: a tenant, store, policy, user or session that does not exist
  is 404 with its *_NOT_FOUND code, whatever the flow and however the user is named.

  @NF-001 @must
  Scenario Outline: the <flow> start by <form> naming an unknown <what> is 404
    Given a user ready for the <flow>
    When the client starts the <flow> naming an unknown <what> by <form>
    Then the answer is 404 <code>

    Examples:
      | flow           | form        | what   | code               |
      | registration   | user id     | store  | STORE_NOT_FOUND    |
      | registration   | user id     | policy | POLICY_NOT_FOUND   |
      | registration   | user id     | user   | USER_NOT_FOUND     |
      | registration   | external id | store  | STORE_NOT_FOUND    |
      | registration   | external id | policy | POLICY_NOT_FOUND   |
      | registration   | external id | user   | USER_NOT_FOUND     |
      | authentication | user id     | store  | STORE_NOT_FOUND    |
      | authentication | user id     | policy | POLICY_NOT_FOUND   |
      | authentication | user id     | user   | USER_NOT_FOUND     |
      | authentication | external id | store  | STORE_NOT_FOUND    |
      | authentication | external id | policy | POLICY_NOT_FOUND   |
      | authentication | external id | user   | USER_NOT_FOUND     |
      | renewal        | user id     | store  | STORE_NOT_FOUND    |
      | renewal        | user id     | policy | POLICY_NOT_FOUND   |
      | renewal        | user id     | user   | USER_NOT_FOUND     |
      | renewal        | external id | store  | STORE_NOT_FOUND    |
      | renewal        | external id | policy | POLICY_NOT_FOUND   |
      | renewal        | external id | user   | USER_NOT_FOUND     |

  @NF-002 @must @unknown-tenant
  Scenario Outline: the <flow> start by <form> naming an unknown tenant is 404
    Given a user ready for the <flow>
    When the client starts the <flow> naming an unknown tenant by <form>
    Then the answer is 404 TENANT_NOT_FOUND

    Examples:
      | flow           | form        |
      | registration   | user id     |
      | registration   | external id |
      | authentication | user id     |
      | authentication | external id |
      | renewal        | user id     |
      | renewal        | external id |

  @NF-003 @must
  Scenario Outline: the <flow> completion naming an unknown session is 404
    When the client completes the <flow> of a session that does not exist
    Then the answer is 404 SESSION_NOT_FOUND

    Examples:
      | flow           |
      | registration   |
      | authentication |
      | renewal        |

  @NF-004 @must @second-store
  Scenario Outline: a user of this store is not found through the second store's paths by <form>
    Users belong to one store, and so do their external ids (SPEC.md section 1): a
    lookup that ignores the store finds them where they do not exist. The second
    store has policies of the same names (as in the reference fixtures).
    Given a user with a registered passcode
    When the client starts the renewal for the user by <form> through the second store
    Then the answer is 404 USER_NOT_FOUND

    Examples:
      | form        |
      | user id     |
      | external id |

  @NF-005 @must
  Scenario Outline: the <flow> start by <form> naming the <what> in another case is 404
    SPEC.md section 2: every path value is compared as exact bytes, with no case
    folding, as external ids are (EXT-004): the store's or the policy's name in
    another case names no store or policy, and a user id in lower case no user. A
    lookup in a case-insensitive database collation finds them all the same.
    Given a user ready for the <flow>
    When the client starts the <flow> naming the <what> in another case by <form>
    Then the answer is 404 <code>

    Examples:
      | flow           | form        | what   | code             |
      | registration   | user id     | store  | STORE_NOT_FOUND  |
      | registration   | external id | policy | POLICY_NOT_FOUND |
      | registration   | user id     | user   | USER_NOT_FOUND   |
      | authentication | external id | store  | STORE_NOT_FOUND  |
      | authentication | user id     | policy | POLICY_NOT_FOUND |
      | authentication | user id     | user   | USER_NOT_FOUND   |
      | renewal        | user id     | store  | STORE_NOT_FOUND  |
      | renewal        | external id | policy | POLICY_NOT_FOUND |
      | renewal        | user id     | user   | USER_NOT_FOUND   |
