from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL


class CustomerChurnSendCoupon(models.TransientModel):
    """发送优惠券: one coupon (loyalty.card) per customer, through Odoo's own coupon generation."""

    _name = "customer.churn.send.coupon"
    _inherit = "customer.churn.segment.action"
    _description = "Send Coupons to Customers"

    program_mode = fields.Selection(
        [("existing", "Existing coupon program"), ("new", "New coupon program")],
        string="Program",
        required=True,
        default="new",
    )
    program_id = fields.Many2one(
        "loyalty.program",
        string="Coupon Program",
        domain="[('program_type', '=', 'coupons'), ('company_id', 'in', (False, company_id))]",
    )
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, required=True)
    new_program_name = fields.Char(string="Program Name", default=lambda self: _("Win-back coupon"))
    same_name_program_id = fields.Many2one("loyalty.program", compute="_compute_same_name_program_id")
    program_warning = fields.Char(compute="_compute_same_name_program_id")
    discount_mode = fields.Selection(
        [("percent", "Percentage"), ("per_order", "Fixed amount")], default="percent", required=True
    )
    discount = fields.Float(default=10.0)
    minimum_amount = fields.Float(string="Minimum Order", help="Untaxed amount an order needs for the coupon to apply.")
    valid_until = fields.Date(string="Expires On")
    send_email = fields.Boolean(
        string="Send by Email",
        default=lambda self: self._default_send_email(),
        help="Send each coupon with the program's email template. The email attaches the coupon as a PDF, "
        "which needs wkhtmltopdf on the server: without it the box starts unticked.",
    )
    partner_email_count = fields.Integer(string="With an Email Address", compute="_compute_partner_email_count")

    @api.model
    def _default_send_email(self):
        """Only where the coupon's PDF can be made: otherwise issuing fails with "Unable to find Wkhtmltopdf"."""
        return self.env["ir.actions.report"].get_wkhtmltopdf_state() == "ok"

    @api.depends("partner_ids.email")
    def _compute_partner_email_count(self):
        for wizard in self:
            wizard.partner_email_count = len(wizard.partner_ids.filtered("email"))

    @api.depends("program_mode", "new_program_name", "company_id")
    def _compute_same_name_program_id(self):
        """A program of the name about to be created: running the same campaign twice made two."""
        for wizard in self:
            program = wizard._find_program_named(wizard.new_program_name)
            wizard.same_name_program_id = program
            wizard.program_warning = False
            if program:
                wizard.program_warning = _(
                    'A coupon program named "%(program)s" already exists in %(company)s.',
                    program=program.name,
                    company=wizard.company_id.name,
                )

    def _find_program_named(self, name):
        if self.program_mode != "new" or not name:
            return self.env["loyalty.program"]
        domain = [
            ("program_type", "=", "coupons"),
            ("company_id", "in", (False, self.company_id.id)),
            ("name", "=", name),
        ]
        return self.env["loyalty.program"].search(domain, order="id desc", limit=1)

    @api.constrains("discount", "minimum_amount", "discount_mode")
    def _check_discount(self):
        for wizard in self:
            if wizard.program_mode != "new":
                continue
            if wizard.discount <= 0 or (wizard.discount_mode == "percent" and wizard.discount > 100):
                raise ValidationError(_("The discount must be above 0 (and at most 100 for a percentage)."))
            if wizard.minimum_amount < 0:
                raise ValidationError(_("The minimum order cannot be negative."))

    def action_use_existing_program(self):
        """Issue in the program of the same name instead of creating a second one."""
        self.ensure_one()
        self.write({"program_mode": "existing", "program_id": self.same_name_program_id.id})
        return self._action_reopen(_("Send Coupons"))

    def action_send(self):
        self.ensure_one()
        program = self.program_id if self.program_mode == "existing" else self._create_program()
        if not program:
            raise UserError(_("Choose a coupon program or create a new one."))
        # Serialise issuing on this program: a double click must not issue twice.
        self.env.cr.execute(SQL("SELECT id FROM loyalty_program WHERE id = %s FOR UPDATE", program.id))
        holders = self.env["loyalty.card"].search([("program_id", "=", program.id)]).partner_id
        held_back = self.env["res.partner"].browse(self._held_back_ids(self.company_id)) - holders
        new_customers = self.partner_ids - holders - held_back
        treated, control, seed = self._draw_control_group(new_customers.ids)
        if treated:
            self._generate_coupons(program, self.env["res.partner"].browse(treated))
        self._record_action("coupon", self.company_id, treated, control, seed)
        skipped = {
            _("already has a coupon of this program"): (self.partner_ids & holders).ids,
            _("in the control group of an earlier action"): (self.partner_ids & held_back).ids,
            _("held back as the control group"): control,
        }
        self.program_id = program
        return self._show_summary(
            _("%(count)s coupons issued in %(program)s.", count=len(treated), program=program.name),
            _("Issued"),
            treated,
            {reason: partner_ids for reason, partner_ids in skipped.items() if partner_ids},
        )

    def _create_program(self):
        template = self.env["loyalty.program"]._get_template_values()["coupons"]
        return self.env["loyalty.program"].create(
            {
                **template,
                "name": self.new_program_name or _("Win-back coupon"),
                "company_id": self.company_id.id,
                "date_to": self.valid_until,
                "rule_ids": [(5, 0, 0), (0, 0, {"minimum_amount": self.minimum_amount, "reward_point_amount": 1})],
                "reward_ids": [
                    (5, 0, 0),
                    (
                        0,
                        0,
                        {
                            "reward_type": "discount",
                            "discount": self.discount,
                            "discount_mode": self.discount_mode,
                            "discount_applicability": "order",
                            "required_points": 1,
                        },
                    ),
                ],
            }
        )

    def _generate_coupons(self, program, customers):
        generator = self.env["loyalty.generate.wizard"].create(
            {
                "program_id": program.id,
                "mode": "selected",
                "customer_ids": [(6, 0, customers.ids)],
                "points_granted": 1,
                "valid_until": self.valid_until,
                "description": _("Win-back coupon from the churn cockpit"),
            }
        )
        generator.with_context(loyalty_no_mail=not self.send_email).generate_coupons()
