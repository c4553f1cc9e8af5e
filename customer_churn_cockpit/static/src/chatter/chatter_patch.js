import { Chatter } from "@mail/chatter/web_portal/chatter";
import { patch } from "@web/core/utils/patch";

// A customer visit marked done in the chatter moves the customer's Last Visit: reload the form
// too, not only the chatter, so the figure shows without reloading the page.
patch(Chatter.prototype, {
    onActivityChanged(thread) {
        super.onActivityChanged(thread);
        if (this.props.webRecord?.resModel === "res.partner") {
            this.reloadParentView();
        }
    },
});
