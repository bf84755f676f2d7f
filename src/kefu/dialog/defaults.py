"""Default intents for a shop's customer service, with example utterances in zh and en.

These are data, not code: a deployment replaces or extends them (``intents.yaml`` in its data
directory, same shape: ``{intent: [examples...]}``). The labels are what the policy keys on.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from kefu.errors import ConfigError

DEFAULT_INTENTS: dict[str, list[str]] = {
    "product_question": [
        "How big is the air fryer basket?", "Does the kettle have temperature control?",
        "What colours does the blender come in?", "Is the robot vacuum good for pet hair?",
        "How loud is the air purifier?", "How do I clean the filter?", "What is the warranty on the kettle?",
        "Can the blender crush ice?", "空气炸锅容量多大？", "电热水壶可以调温度吗？", "扫地机器人能吸宠物毛吗？",
        "净化器的滤网多久换一次？", "这个破壁机有几种颜色？", "保修期是多久？",
    ],
    "order_status": [
        "Where is my order?", "Has my order LM2026110003 shipped yet?", "When will my parcel arrive?",
        "Can you track my package?", "My order hasn't arrived", "What's the status of order LM2026110012?",
        "我的订单到哪了？", "订单LM2026110003发货了吗？", "快递什么时候到？", "帮我查一下物流", "我的包裹还没收到",
    ],
    "returns_refund": [
        "How do I return an item?", "I want a refund", "Can I return the kettle after 20 days?",
        "Who pays for return shipping?", "When will I get my refund?", "Can I exchange it for another colour?",
        "我想退货", "怎么申请退款？", "退货运费谁出？", "退款多久到账？", "可以换货吗？", "七天无理由退货吗？",
    ],
    "complaint": [
        "This is unacceptable, my order is two weeks late!", "Your service is terrible",
        "The product broke after one day and nobody helps me", "I'm very angry about this",
        "I want to file a complaint", "太差了，我要投诉", "你们的服务太糟糕了", "东西用了一天就坏了，气死我了",
        "等了两个星期还没到，怎么回事！", "我要投诉你们的快递",
    ],
    "human": [
        "I want to talk to a human", "Can I speak to a real person?", "Transfer me to an agent please",
        "Connect me with customer service staff", "Let me talk to someone", "转人工", "我要人工客服",
        "找个真人跟我说", "请帮我转接人工", "人工服务",
    ],
    "recommendation": [
        "Which air purifier would you recommend?", "What should I buy for a small kitchen?",
        "Can you suggest a gift under 300 yuan?", "Any recommendations for a blender?",
        "What goes well with my air fryer?", "推荐一款净化器", "有什么适合小厨房的电器推荐？",
        "送礼买什么好？", "帮我推荐一下", "三百元以内有什么推荐？",
    ],
    "greeting": [
        "Hello", "Hi there", "Good morning", "Thanks!", "Thank you, bye", "How are you?",
        "你好", "您好", "在吗？", "谢谢", "再见", "早上好",
    ],
    "out_of_scope": [
        "What's the weather in Paris?", "Write me a poem about cats", "Who won the football game?",
        "What is the capital of Australia?", "Tell me a joke", "Help me with my math homework",
        "今天股市怎么样？", "给我写一首诗", "北京明天天气如何？", "讲个笑话", "帮我做数学作业",
    ],
}


def load_intents(data_dir: Path) -> dict[str, list[str]]:
    """``data_dir/intents.yaml`` if present (validated), else :data:`DEFAULT_INTENTS`."""
    path = Path(data_dir) / "intents.yaml"
    if not path.is_file():
        return DEFAULT_INTENTS
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ConfigError(f"{path} is not valid YAML: {e}") from e
    if not isinstance(data, dict) or not all(isinstance(v, list) and v for v in data.values()):
        raise ConfigError(f"{path} must map each intent to a non-empty list of example utterances")
    return {str(k): [str(x) for x in v] for k, v in data.items()}
