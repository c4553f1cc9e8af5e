"""Movement on the board: the ABC matrix (上期ABC × 客户ABC分类) and churn states between two runs.

Every cell counts what its list shows: its domain lists exactly the customers of the story.
"""

from datetime import timedelta

import pytest

from odoo import Command
from odoo.exceptions import UserError

from odoo.addons.mail.tests.common import mail_new_test_user

from common import AS_OF, M1, M2, Scenario, days_ago

EARLIER = days_ago(10)
NONE = "none"


@pytest.fixture
def shop(env):
    # Keep both runs whatever today is: the purge looks at today, not at AS_OF.
    env.company.churn_history_days = 400
    return Scenario(env)


def matrix_of(board, key):
    return next(matrix for matrix in board["matrices"] if matrix["key"] == key)


def cells_of(matrix):
    """``{(row, column): cell}`` with the keys the board shows ("none" for no value)."""
    columns = [column["key"] for column in matrix["columns"]]
    return {
        (row["key"], column): cell for row in matrix["rows"] for column, cell in zip(columns, row["cells"], strict=True)
    }


def names(records):
    """Sorted names of these partners, or of the customers of these rows of figures."""
    partners = records.partner_id if records._name == "customer.churn.figure" else records
    return sorted(partners.mapped("name"))


@pytest.fixture
def tiers(shop):
    """Tiers of M2 (上期ABC) and of M1 (客户ABC分类), split A 30% / B 50% / C 20%.

    ======  =========  ==========================  ============  ==========================  =========
    shop    M2 sales   share before it in M2        M2 tier       M1 sales (before it)        M1 tier
    ======  =========  ==========================  ============  ==========================  =========
    Pine    500        0%                           A             100 (600+300 = 82%)         C
    Quay    300        50%                          B             none, traded before         D
    Rose    150        80%                          C             600 (0%)                    A
    Sage    50         95%                          C             300 (55%)                   B
    Teal    -          first order in M1            none          100 (91%, after Pine)       C
    Wren    one order three months before M1        D             none                        D
    Umber   never ordered                           none          none                        none
    Vale    first order in AS_OF's month            none          none                        none
    ======  =========  ==========================  ============  ==========================  =========
    """
    sales = {
        "Pine": (500, 100),
        "Quay": (300, 0),
        "Rose": (150, 600),
        "Sage": (50, 300),
        "Teal": (0, 100),
    }
    customers = {
        name: shop.customer(name) for name in ("Pine", "Quay", "Rose", "Sage", "Teal", "Wren", "Umber", "Vale")
    }
    for name, (in_m2, in_m1) in sales.items():
        if in_m2:
            shop.order(customers[name], M2 + timedelta(days=3), in_m2)
        if in_m1:
            shop.order(customers[name], M1 + timedelta(days=3), in_m1)
    shop.order(customers["Wren"], M2 - timedelta(days=40), 70)
    shop.order(customers["Vale"], days_ago(2), 40)
    shop.recompute()
    return customers


def test_abc_matrix_counts_each_pair_of_tiers(env, tiers):
    matrix = matrix_of(env["customer.churn.board"].get_board_data(), "abc")
    assert [column["key"] for column in matrix["columns"]] == ["A", "B", "C", "D", NONE]
    assert [row["key"] for row in matrix["rows"]] == ["A", "B", "C", "D", NONE]
    counts = {pair: cell["count"] for pair, cell in cells_of(matrix).items() if cell["count"]}
    assert counts == {
        ("A", "C"): 1,  # Pine
        ("B", "D"): 1,  # Quay
        ("C", "A"): 1,  # Rose
        ("C", "B"): 1,  # Sage
        (NONE, "C"): 1,  # Teal
        ("D", "D"): 1,  # Wren
        (NONE, NONE): 2,  # Umber, Vale
    }
    moves = {pair: cell["move"] for pair, cell in cells_of(matrix).items()}
    assert moves[("C", "A")] == moves[("D", "C")] == "up"
    assert moves[("A", "C")] == moves[("B", "D")] == "down"
    assert moves[("D", "D")] == "same" and moves[(NONE, "C")] == moves[("A", NONE)] == NONE
    assert cells_of(matrix)[("C", "A")]["name"] == "C → A"


def test_abc_matrix_cells_and_totals_list_exactly_their_customers(env, tiers):
    matrix = matrix_of(env["customer.churn.board"].get_board_data(), "abc")
    Partner = env["customer.churn.figure"]
    cells = cells_of(matrix)
    assert names(Partner.search(cells[("C", "A")]["domain"])) == ["Rose"]
    assert names(Partner.search(cells[("C", "B")]["domain"])) == ["Sage"]
    assert names(Partner.search(cells[(NONE, "C")]["domain"])) == ["Teal"]
    assert names(Partner.search(cells[(NONE, NONE)]["domain"])) == ["Umber", "Vale"]
    assert Partner.search_count(cells[("A", "A")]["domain"]) == 0
    for pair, cell in cells.items():
        assert Partner.search_count(cell["domain"]) == cell["count"], pair
    totals = {total["key"]: total for total in matrix["totals"]}
    assert [totals["up"]["count"], totals["down"]["count"]] == [2, 2]
    assert names(Partner.search(totals["up"]["domain"])) == ["Rose", "Sage"]
    assert names(Partner.search(totals["down"]["domain"])) == ["Pine", "Quay"]
    # The engine's own trend agrees with the matrix.
    assert names(Partner.search([("abc_trend", "=", "up")])) == ["Rose", "Sage"]
    assert totals["up"]["label"] == "Upgraded" and totals["down"]["label"] == "Downgraded"


@pytest.fixture
def moves(shop):
    """Two runs, as of AS_OF - 10 and AS_OF (at risk after 15 days, churned after 30).

    ==========  =====================  ==============  ==========
    shop        orders (days ago)      at AS_OF - 10   at AS_OF
    ==========  =====================  ==============  ==========
    Steady      2 12 22                active          active
    Slipping    20                     active          at risk
    Quiet       16                     active          at risk
    Gone        35                     at risk         churned
    Old         100                    churned         churned
    Back        3 40                   churned         active
    Never       -                      never           never
    Newcomer    5 (created between)    -               active
    ==========  =====================  ==============  ==========
    """
    orders = {
        "Steady": (2, 12, 22),
        "Slipping": (20,),
        "Quiet": (16,),
        "Gone": (35,),
        "Old": (100,),
        "Back": (3, 40),
        "Never": (),
    }
    customers = {}
    for name, days in orders.items():
        customers[name] = shop.customer(name)
        shop.orders(customers[name], [days_ago(d) for d in days], 10)
    shop.recompute(as_of=EARLIER)
    customers["Newcomer"] = shop.customer("Newcomer")
    shop.order(customers["Newcomer"], days_ago(5), 10)
    shop.recompute(as_of=AS_OF)
    return customers


def test_state_movement_counts_each_pair_of_states_between_the_runs(env, moves):
    matrix = matrix_of(env["customer.churn.board"].get_board_data(), "state")
    assert [column["key"] for column in matrix["columns"]] == ["active", "at_risk", "churned", "never", NONE]
    counts = {pair: cell["count"] for pair, cell in cells_of(matrix).items() if cell["count"]}
    assert counts == {
        ("active", "active"): 1,
        ("active", "at_risk"): 2,
        ("at_risk", "churned"): 1,
        ("churned", "churned"): 1,
        ("churned", "active"): 1,
        ("never", "never"): 1,
        (NONE, "active"): 1,
    }
    totals = {total["key"]: total["count"] for total in matrix["totals"]}
    assert totals == {"up": 1, "down": 3}


def test_state_movement_cells_list_their_customers_even_after_a_refresh(env, shop, moves, today):
    # Gone orders again today: the incremental refresh makes it active, but the runs recorded
    # at risk then churned, and the movement between the runs must still list it there.
    shop.order(moves["Gone"], today, 10)
    env["customer.churn.engine"]._refresh_customers(env.company, {moves["Gone"].id})
    assert shop.figures(moves["Gone"]).churn_state == "active"

    matrix = matrix_of(env["customer.churn.board"].get_board_data(), "state")
    Partner = env["customer.churn.figure"]
    cells = cells_of(matrix)
    assert names(Partner.search(cells[("active", "at_risk")]["domain"])) == ["Quiet", "Slipping"]
    assert names(Partner.search(cells[("at_risk", "churned")]["domain"])) == ["Gone"]
    assert names(Partner.search(cells[(NONE, "active")]["domain"])) == ["Newcomer"]
    for pair, cell in cells.items():
        assert Partner.search_count(cell["domain"]) == cell["count"], pair
    totals = {total["key"]: total for total in matrix["totals"]}
    assert names(Partner.search(totals["up"]["domain"])) == ["Back"]
    assert names(Partner.search(totals["down"]["domain"])) == ["Gone", "Quiet", "Slipping"]


def test_states_at_the_runs_are_readable_and_searchable_with_every_operator(env, moves):
    Partner = env["customer.churn.figure"]
    story = [("partner_id", "in", [partner.id for partner in moves.values()])]
    back = Partner.search([("partner_id", "=", moves["Back"].id)])
    assert (back.churn_state_previous_run, back.churn_state_latest_run) == ("churned", "active")
    newcomer = Partner.search([("partner_id", "=", moves["Newcomer"].id)])
    assert (newcomer.churn_state_previous_run, newcomer.churn_state_latest_run) == (False, "active")

    def found(*terms):
        return names(Partner.search(story + list(terms)))

    assert found(("churn_state_previous_run", "=", False)) == ["Newcomer"]
    assert found(("churn_state_previous_run", "!=", False)) == [
        "Back",
        "Gone",
        "Never",
        "Old",
        "Quiet",
        "Slipping",
        "Steady",
    ]
    assert found(("churn_state_latest_run", "!=", "active")) == ["Gone", "Never", "Old", "Quiet", "Slipping"]
    assert found(("churn_state_latest_run", "in", ["churned", "never"])) == ["Gone", "Never", "Old"]
    assert found(("churn_state_previous_run", "not in", ["active", False])) == ["Back", "Gone", "Never", "Old"]
    with pytest.raises(UserError):
        Partner.search([("churn_state_latest_run", "like", "act")])


def test_no_state_movement_before_a_second_run(env, shop):
    shop.order(shop.customer("First"), days_ago(3), 10)
    shop.recompute()
    board = env["customer.churn.board"].get_board_data()
    assert [matrix["key"] for matrix in board["matrices"]] == ["abc"]


def test_each_company_sees_its_own_movement(env, shop, moves):
    branch = env["res.company"].create({"name": "Branch B", "churn_history_days": 400})
    env.user.company_ids = [Command.link(branch.id)]
    shop.order(moves["Old"], EARLIER - timedelta(days=5), 10, company=branch)
    shop.recompute(as_of=EARLIER, companies=branch)
    shop.recompute(as_of=AS_OF, companies=branch)
    user = mail_new_test_user(env, login="rep_b", groups="sales_team.group_sale_salesman", company_id=branch.id)

    matrix = matrix_of(env["customer.churn.board"].with_user(user).get_board_data(), "state")
    counts = {pair: cell["count"] for pair, cell in cells_of(matrix).items() if cell["count"]}
    # In B, Old went from active (5 days) to at risk (15 days); of the others, who bought from A,
    # none is B's customer (SPEC §1) but Never, who bought from nobody.
    assert counts == {("active", "at_risk"): 1, ("never", "never"): 1}
    cell = cells_of(matrix)[("active", "at_risk")]
    assert names(env["customer.churn.figure"].with_user(user).search(cell["domain"])) == ["Old"]
