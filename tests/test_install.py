"""The module installs, its views render and its menus open."""

from odoo_harness import MODULE


def test_module_is_installed(env):
    module = env["ir.module.module"].search([("name", "=", MODULE)])
    assert module.state == "installed"


def test_every_view_of_the_module_renders(env):
    views = env["ir.ui.view"].browse(
        env["ir.model.data"].search([("module", "=", MODULE), ("model", "=", "ir.ui.view")]).mapped("res_id")
    )
    assert len(views) >= 6
    for view in views:
        # get_views runs the same validation and post-processing the web client gets.
        arch = env[view.model].get_views([(view.id, view.type)])
        assert arch["views"][view.type]["arch"], view.xml_id


def test_menus_open_their_actions(env):
    root = env.ref(f"{MODULE}.menu_churn_root")
    menus = env["ir.ui.menu"].search([("id", "child_of", root.id)])
    actions = [menu.action for menu in menus if menu.action]
    assert len(actions) >= 4
    for action in actions:
        data = action.sudo().read()[0]
        if data.get("res_model"):
            model = env[data["res_model"]]
            for view_id, view_type in data.get("views", []):
                model.get_views([(view_id, view_type)])
    loaded = env["ir.ui.menu"].load_menus(debug=False)
    assert root.id in loaded


def test_settings_page_renders(env):
    settings = env["res.config.settings"].create({})
    assert settings.churn_at_risk_days == 15
    assert settings.churn_churned_days == 30
    assert settings.churn_abc_c_percent == 20
