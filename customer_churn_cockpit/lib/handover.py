"""Split a departing salesperson's customers among the receivers (SPEC §13), without Odoo."""


def split_customers(revenues, receiver_ids):
    """Give each customer to a receiver so that each gets a similar revenue.

    ``revenues``: {customer id: revenue over the last 365 days}; ``receiver_ids``: user ids.
    Largest customer first (ties: the lower customer id), each to the receiver with the least
    revenue so far (ties: fewer customers, then the lower user id). Returns {customer id: user id}.
    """
    totals = {user_id: [0.0, 0] for user_id in sorted(set(receiver_ids))}
    split = {}
    for partner_id, revenue in sorted(revenues.items(), key=lambda item: (-item[1], item[0])):
        receiver = min(totals, key=lambda user_id: (totals[user_id][0], totals[user_id][1], user_id))
        totals[receiver][0] += revenue
        totals[receiver][1] += 1
        split[partner_id] = receiver
    return split
