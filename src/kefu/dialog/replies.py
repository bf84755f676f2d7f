"""Fixed replies, in both languages (prompts and canned texts are data, kept in one place)."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "greeting": {"en": "Hello! I'm the Lumo Home assistant. Ask me about products, orders, shipping or returns.",
                 "zh": "您好！我是鹿鸣家居智能客服，可以帮您解答商品、订单、配送和退换货问题。"},
    "thanks": {"en": "You're welcome! Anything else I can help with?", "zh": "不客气！还有什么可以帮您？"},
    "handoff": {"en": "I'm connecting you with a human agent now. You are number {position} in the queue; "
                      "an agent will reply here shortly.",
                "zh": "正在为您转接人工客服，您前面还有 {ahead} 位顾客，客服会在这里尽快回复您。"},
    "handoff_complaint": {"en": "I'm sorry about this experience. I'm passing your conversation to a human agent "
                                "who can sort it out; you are number {position} in the queue.",
                          "zh": "非常抱歉给您带来不好的体验，我已为您转接人工客服处理，您前面还有 {ahead} 位顾客。"},
    "queued": {"en": "You're in the queue for a human agent (number {position}). They will reply here.",
               "zh": "您正在排队等待人工客服（前面还有 {ahead} 位），客服会在这里回复您。"},
    "ask_order_no": {"en": "Could you give me your order number (it looks like LM2026110001) or the phone number "
                           "you ordered with?",
                     "zh": "请提供您的订单号（形如 LM2026110001）或下单手机号，我帮您查询。"},
    "order_not_found": {"en": "I couldn't find an order {order_no}. Please check the number, or give me the phone "
                              "number you ordered with.",
                        "zh": "没有查到订单 {order_no}，请核对订单号，或提供下单手机号。"},
    "no_orders_for_phone": {"en": "I couldn't find orders for that phone number.",
                            "zh": "没有查到该手机号下的订单。"},
    "orders_for_phone": {"en": "I found these orders: {orders}. Which one do you mean?",
                         "zh": "查到以下订单：{orders}。请问您要查询哪一个？"},
    "out_of_scope": {"en": "Sorry, I can only help with questions about Lumo Home's products, orders and "
                           "services. Would you like to talk to a human agent?",
                     "zh": "抱歉，我只能回答鹿鸣家居的商品、订单和服务相关问题。需要为您转接人工客服吗？"},
    "injection": {"en": "Sorry, I can't do that. I can help with questions about our products, orders, "
                        "shipping and returns.",
                  "zh": "抱歉，这个我无法照做。我可以帮您解答商品、订单、配送和退换货问题。"},
    "recommend": {"en": "You might like: {items}.", "zh": "为您推荐：{items}。"},
    "recommend_none": {"en": "Could you tell me a bit more about what you need (which room or use, and your "
                             "budget)? Then I can recommend something.",
                       "zh": "能再说说您的需求吗（用在哪里、预算多少）？我好为您推荐。"},
}

STATUS_WORDS: dict[str, dict[str, str]] = {
    "pending": {"en": "waiting for payment", "zh": "待付款"},
    "paid": {"en": "paid and being prepared for shipping", "zh": "已付款，正在备货"},
    "shipped": {"en": "shipped", "zh": "已发货"},
    "delivered": {"en": "delivered", "zh": "已签收"},
    "returned": {"en": "returned", "zh": "已退货"},
    "refunded": {"en": "refunded", "zh": "已退款"},
    "cancelled": {"en": "cancelled", "zh": "已取消"},
}


def text(key: str, lang: str, **values: Any) -> str:
    return TEXTS[key]["zh" if lang == "zh" else "en"].format(**values)


def order_summary(order: dict[str, Any], lang: str) -> str:
    """One paragraph with the facts of an order (from kefu.tools.lookups.order_status)."""
    zh = lang == "zh"
    status = STATUS_WORDS.get(order["status"], {"en": order["status"], "zh": order["status"]})["zh" if zh else "en"]
    items = ", ".join(
        f"{(i.get('name_zh') if zh else i.get('name_en')) or i['sku']} x{i['qty']}" for i in order.get("items", []))
    if zh:
        out = f"订单 {order['order_no']}（{items}）状态：{status}。"
        if order.get("carrier") and order.get("tracking_no"):
            out += f"承运商 {order['carrier']}，运单号 {order['tracking_no']}。"
        if order.get("shipped_at"):
            out += f"发货时间 {order['shipped_at']}。"
        if order.get("delivered_at"):
            out += f"签收时间 {order['delivered_at']}。"
        if order.get("refund_amount"):
            out += f"退款金额 ¥{order['refund_amount']:g}。"
        return out
    out = f"Order {order['order_no']} ({items}) is {status}."
    if order.get("carrier") and order.get("tracking_no"):
        out += f" Carrier: {order['carrier']}, tracking number {order['tracking_no']}."
    if order.get("shipped_at"):
        out += f" Shipped on {order['shipped_at']}."
    if order.get("delivered_at"):
        out += f" Delivered on {order['delivered_at']}."
    if order.get("refund_amount"):
        out += f" Refunded: ¥{order['refund_amount']:g}."
    return out
