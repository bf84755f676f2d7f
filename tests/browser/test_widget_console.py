"""The widget and the console in headless chromium against a live server.

One story, in order (module-scoped server and browser): a customer asks on the demo shop page
and sees a streamed answer with a clickable citation, votes, asks for a human; an agent logs in
to the console, takes the ticket and replies; the customer sees the reply live.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PASSWORD = "browser-test-password"  # as in conftest.py
ANSWER = "The SmartTemp kettle has a two-year warranty [1]."
TIMEOUT = 15_000


@pytest.fixture(scope="module")
def customer(browser: Any, shop: Any) -> Any:
    ctx = browser.new_context(viewport={"width": 1280, "height": 860}, locale="en-US")
    page = ctx.new_page()
    page.goto(shop.url + "/")
    yield page
    ctx.close()


@pytest.fixture(scope="module")
def agent(browser: Any, shop: Any) -> Any:
    ctx = browser.new_context(viewport={"width": 1360, "height": 860}, locale="en-US")
    page = ctx.new_page()
    yield page
    ctx.close()


def test_1_widget_streams_an_answer_with_a_citation(customer: Any, shop: Any, shot: Any) -> None:
    shop.llm.enqueue(ANSWER)
    w = customer.locator("#kefu-widget")
    w.locator(".launcher").click()
    w.locator("textarea").fill("How long is the warranty on the SmartTemp kettle?")
    w.locator("textarea").press("Enter")
    answer = w.locator(".msg.assistant").last
    answer.locator(".fb").wait_for(timeout=TIMEOUT)  # feedback buttons appear once the answer is done
    assert "two-year warranty" in answer.inner_text()
    assert w.locator(".msg.customer").count() == 1
    answer.locator(".cite").first.click()
    passage = answer.locator(".pass")
    passage.wait_for(timeout=TIMEOUT)
    assert "two-year warranty covering parts" in passage.inner_text()
    conv_id = customer.evaluate("Object.keys(localStorage).filter(k => k.startsWith('kefu.conversation'))"
                                ".map(k => localStorage.getItem(k))[0]")
    store = shop.state.extras["store"]
    msgs = store.messages(conv_id)
    assert [m.role for m in msgs] == ["customer", "assistant"] and msgs[1].sources
    shot(customer, "widget-answer-citation")


def test_2_feedback_with_a_comment_is_stored(customer: Any, shop: Any) -> None:
    w = customer.locator("#kefu-widget")
    answer = w.locator(".msg.assistant").last
    answer.locator(".fb .down").click()
    answer.locator(".fbc input").fill("I wanted the colours too")
    answer.locator(".fbc button").click()
    answer.locator(".fb small", has_text="Thanks").wait_for(timeout=TIMEOUT)
    mid = int(answer.get_attribute("data-id"))
    fb = shop.state.extras["store"].get_feedback(mid)
    assert fb.thumbs == "down" and fb.comment == "I wanted the colours too"


def test_3_ask_for_a_human(customer: Any, shop: Any, shot: Any) -> None:
    w = customer.locator("#kefu-widget")
    w.locator(".human").click()
    w.locator(".sub", has_text="Waiting for an agent").wait_for(timeout=TIMEOUT)
    tickets = shop.state.extras["store"].list_tickets()
    assert len(tickets) == 1 and tickets[0].status == "queued"
    shot(customer, "widget-handoff")


def test_4_agent_logs_in_takes_over_and_replies(agent: Any, customer: Any, shop: Any, shot: Any) -> None:
    agent.goto(shop.url + "/console")
    agent.fill("input[name=password]", "wrong")
    agent.click("#login-form button")
    agent.locator("#login-error", has_text="wrong username or password").wait_for(timeout=TIMEOUT)
    agent.fill("input[name=password]", PASSWORD)
    agent.click("#login-form button")
    row = agent.locator("#q tr", has_text="How long is the warranty")
    row.wait_for(timeout=TIMEOUT)
    shot(agent, "console-queue")
    row.locator("button.take").click()
    agent.locator("#reply textarea").wait_for(timeout=TIMEOUT)
    # the browser shows the prompt and sources behind the bot's answer
    bot = agent.locator(".m.assistant").first
    bot.locator("summary", has_text="Prompt").click()
    bot.locator("summary", has_text="Sources").click()
    assert "two-year warranty covering parts" in bot.locator(".srcs").inner_text()
    assert bot.locator("pre").inner_text().strip()
    agent.fill("#reply textarea", "Hi, I'm Ada from Lumo. The warranty is two years; colours are white and sage green.")
    agent.click("#reply button")
    agent.locator(".m.agent", has_text="I'm Ada").wait_for(timeout=TIMEOUT)
    shot(agent, "console-takeover")

    w = customer.locator("#kefu-widget")
    w.locator(".msg.agent", has_text="I'm Ada").wait_for(timeout=TIMEOUT)  # pushed live over SSE
    assert "joined" in w.locator(".msg.system").last.inner_text() or w.locator(".msg.system", has_text="joined").count()
    w.locator(".sub", has_text="Agent").wait_for(timeout=TIMEOUT)
    shot(customer, "widget-agent-reply")


def test_5_customer_message_reaches_the_console_live_and_bot_stays_silent(agent: Any, customer: Any,
                                                                           shop: Any) -> None:
    calls = len(shop.llm.requests)
    w = customer.locator("#kefu-widget")
    w.locator("textarea").fill("Great, can I get it in green?")
    w.locator("textarea").press("Enter")
    agent.locator(".m.customer", has_text="in green").wait_for(timeout=TIMEOUT)
    assert len(shop.llm.requests) == calls  # the bot did not answer
    assert w.locator(".msg.assistant").count() == 1


def test_6_console_pages_render(agent: Any, shop: Any, shot: Any) -> None:
    agent.goto(shop.url + "/console#/analytics")
    agent.locator(".stat").first.wait_for(timeout=TIMEOUT)
    agent.locator(".charts svg").first.wait_for(timeout=TIMEOUT)
    heights = agent.eval_on_selector_all(".charts svg rect", "els => els.map(e => +e.getAttribute('height'))")
    assert max(heights) > 0  # today's conversation is drawn
    shot(agent, "console-analytics")
    agent.goto(shop.url + "/console#/kb")
    agent.fill("#s input[name=q]", "kettle warranty")
    agent.click("#s button")
    agent.locator(".hit").first.wait_for(timeout=TIMEOUT)
    assert "warranty" in agent.locator(".hit").first.inner_text()
    shot(agent, "console-kb")


def test_7_mark_wrong_and_add_to_faq(agent: Any, shop: Any, shot: Any) -> None:
    store = shop.state.extras["store"]
    conv_id = store.list_tickets()[0].conversation_id
    agent.goto(shop.url + f"/console#/conv/{conv_id}")
    bot = agent.locator(".m.assistant").first
    bot.locator("button.mark").click()
    bot.locator(".fix textarea").fill("The SmartTemp kettle has a two-year warranty; it comes in white and sage green.")
    bot.locator("button.faq").click()
    agent.locator(".toast", has_text="added to the FAQ").wait_for(timeout=TIMEOUT)
    [c] = store.list_corrections()
    assert c.added_to_faq and "sage green" in c.corrected_text
    agent.goto(shop.url + "/console#/review")
    agent.locator("#corr tr", has_text="sage green").wait_for(timeout=TIMEOUT)
    assert "in FAQ" in agent.locator("#corr").inner_text()
    shot(agent, "console-review")
    kb = shop.state.extras["kb"].open(shop.state.extras["kb_name"])
    hit = kb.faq_match("How long is the warranty on the SmartTemp kettle?")
    assert hit is not None and "sage green" in hit.metadata["faq_answer"]


def test_8_resolve_then_the_customer_rates_the_conversation(agent: Any, customer: Any, shop: Any,
                                                             shot: Any) -> None:
    store = shop.state.extras["store"]
    conv_id = store.list_tickets()[0].conversation_id
    agent.goto(shop.url + f"/console#/conv/{conv_id}")
    agent.locator("#resolve").click()
    agent.locator(".toast", has_text="Resolved").wait_for(timeout=TIMEOUT)
    w = customer.locator("#kefu-widget")
    w.locator(".rating .stars button").first.wait_for(timeout=TIMEOUT)
    w.locator(".rating .stars button[data-n='5']").click()
    w.locator(".rating", has_text="Thank you for rating").wait_for(timeout=TIMEOUT)
    conv = store.get_conversation(conv_id)
    assert conv.status == "closed" and conv.satisfaction == 5
    assert customer.evaluate("Object.keys(localStorage).filter(k => k.startsWith('kefu.conversation')).length") == 0


def test_9_chinese_ui_on_a_phone(browser: Any, shop: Any, shot: Any) -> None:
    ctx = browser.new_context(viewport={"width": 390, "height": 780}, locale="zh-CN", is_mobile=True,
                              has_touch=True)
    page = ctx.new_page()
    try:
        page.goto(shop.url + "/")
        w = page.locator("#kefu-widget")
        w.locator(".launcher").click()
        assert w.locator(".human").inner_text() == "转人工"
        assert w.locator("textarea").get_attribute("placeholder") == "请输入您的问题…"
        shop.llm.enqueue("SmartTemp 电水壶保修两年 [1]。")
        w.locator("textarea").fill("SmartTemp kettle 保修多久？")
        w.locator("button[type=submit]").click()
        w.locator(".msg.assistant .fb").wait_for(timeout=TIMEOUT)
        box = w.locator(".panel").bounding_box()
        assert box is not None and box["width"] == 390  # full screen on a phone
        shot(page, "widget-mobile-zh")
    finally:
        ctx.close()


def test_10_admin_uploads_a_document_and_adds_a_webhook(agent: Any, shop: Any, shot: Any) -> None:
    agent.goto(shop.url + "/console#/kb")
    agent.set_input_files("#up input[type=file]", files=[{
        "name": "shipping.md", "mimeType": "text/markdown",
        "buffer": b"# Shipping\n\nEvery order is dispatched within 48 hours by SF Express.\n"}])
    agent.click("#up button.primary")
    agent.locator("#upres", has_text="added 1").wait_for(timeout=TIMEOUT)
    agent.locator("#docs td", has_text="shipping.md").wait_for(timeout=TIMEOUT)
    agent.fill("#s input[name=q]", "SF Express dispatch")
    agent.click("#s button")
    agent.locator(".hit", has_text="48 hours").first.wait_for(timeout=TIMEOUT)

    agent.goto(shop.url + "/console#/webhooks")
    agent.fill("#wf input[name=url]", "http://127.0.0.1:9/crm-hook")
    agent.click("#wf button")
    agent.locator("#secret .secret").wait_for(timeout=TIMEOUT)
    agent.locator("#wl td", has_text="crm-hook").wait_for(timeout=TIMEOUT)
    [hook] = shop.state.extras["store"].list_webhooks()
    assert agent.locator("#secret .secret").inner_text() == hook.secret and len(hook.events) == 3
    shot(agent, "console-webhooks")
