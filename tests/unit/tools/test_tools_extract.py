import json

import pytest
from pydantic import BaseModel

from fixtures.tools import FIXTURES
from kefu.errors import InvalidRequestError
from kefu.llm.fake import FakeLLM
from kefu.tools.extract import ExtractionError, extract, faq_pairs_from_document, parse_json

TEXT = "Last year Xiaoming was 15; this year he is 130 cm tall. Xiaohong is 6 and 140 cm."
VALID = ('```json\n{"people": [{"name": "Xiaoming", "age": 16, "height_cm": 130}, '
         '{"name": "Xiaohong", "age": 6, "height_cm": 140}]}\n```')


class Person(BaseModel):
    name: str
    age: int
    height_cm: int | None = None


class People(BaseModel):
    people: list[Person]


def test_xiaoming_xiaohong_retries_after_malformed_json():
    llm = FakeLLM(['{"people": [{"name": "Xiaoming", "age": "sixteen"', VALID])
    got = extract(TEXT, People, llm)
    assert got == People(people=[Person(name="Xiaoming", age=16, height_cm=130),
                                 Person(name="Xiaohong", age=6, height_cm=140)])
    retry = llm.requests[1].messages
    assert retry[-2].role == "assistant" and "not valid" in retry[-1].content
    assert "no JSON object" in retry[-1].content
    assert '"height_cm"' in llm.requests[0].messages[0].content  # the schema was shown


def test_validation_error_is_fed_back_then_json_schema_dict_is_accepted():
    schema = json.loads((FIXTURES / "person_schema.json").read_text())
    llm = FakeLLM(['{"people": [{"name": "Xiaoming", "age": "16"}]}',
                   'Here it is: {"people": [{"name": "Xiaoming", "age": 16}]} hope it helps'])
    assert extract(TEXT, schema, llm) == {"people": [{"name": "Xiaoming", "age": 16}]}
    assert "at people/0/age: '16' is not of type 'integer'" in llm.requests[1].messages[-1].content


def test_gives_up_with_the_last_output_and_every_error():
    llm = FakeLLM(["not json", '{"people": "nobody"}'])
    with pytest.raises(ExtractionError) as info:
        extract(TEXT, People, llm, attempts=2)
    err = info.value
    assert len(err.errors) == 2 and err.last_output == '{"people": "nobody"}'
    assert "no valid JSON after 2 attempt(s)" in err.message and "nobody" in err.message


def test_bad_schema_and_bad_attempts_are_clear_errors():
    with pytest.raises(InvalidRequestError, match="JSON schema itself is invalid"):
        extract("x", {"type": "no-such-type"}, FakeLLM())
    with pytest.raises(InvalidRequestError, match="attempts"):
        extract("x", People, FakeLLM(), attempts=0)


def test_parse_json_tolerates_fences_and_prose():
    assert parse_json('Sure! ```json\n[1, 2]\n``` done') == [1, 2]
    assert parse_json('The answer {broken then {"a": {"b": 1}} end') == {"a": {"b": 1}}
    with pytest.raises(ValueError):
        parse_json("no json here")


def test_faq_pairs_from_document():
    doc = "退货政策：收到商品 7 天内可无理由退货，运费由买家承担。"
    llm = FakeLLM(['{"pairs": [{"question": "多久内可以退货？", "answer": "收到商品 7 天内。"}, '
                   '{"question": " ", "answer": "空问题会被丢弃"}]}'])
    pairs = faq_pairs_from_document(doc, llm, max_pairs=5)
    assert [(p.question, p.answer) for p in pairs] == [("多久内可以退货？", "收到商品 7 天内。")]
    assert "at most 5" in llm.requests[0].messages[0].content
