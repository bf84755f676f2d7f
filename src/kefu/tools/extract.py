"""Structured extraction: free text -> JSON validated against a pydantic model or a JSON schema.

    class Person(BaseModel):
        name: str
        age: int
        height_cm: int | None = None

    class People(BaseModel):
        people: list[Person]

    extract("Last year Xiaoming was 15; this year he is 130 cm tall. Xiaohong is 6 and 140 cm.", People, llm)
    # -> People(people=[Person(name='Xiaoming', age=16, height_cm=130), Person(name='Xiaohong', ...)])

The model is shown the JSON schema and asked for one JSON value. Its answer may sit in a code
fence or after some prose: the first parseable JSON object/array is taken (``json.JSONDecoder.
raw_decode`` from each ``{``/``[``). If parsing or validation fails, the error is sent back and
the model tries again, up to ``attempts`` times; then :class:`ExtractionError` carries every
error and the last output. With a pydantic class you get an instance; with a dict schema
(validated by the ``jsonschema`` package) you get plain JSON data.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from kefu.errors import InvalidRequestError
from kefu.llm.base import LLM, GenerationRequest, Message, SamplingParams, collect

T = TypeVar("T", bound=BaseModel)

SYSTEM = ("You extract information from text as JSON. Reply with one JSON value that matches this JSON "
          "schema, and nothing else:\n{schema}")
_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)


class ExtractionError(InvalidRequestError):
    """The model did not produce valid JSON for the schema within the allowed attempts."""

    code = "extraction_failed"

    def __init__(self, message: str, *, last_output: str, errors: list[str]) -> None:
        super().__init__(f"{message}; last output: {last_output[:500]!r}",
                         hint="use a stronger model, simplify the schema, or raise attempts")
        self.last_output = last_output
        self.errors = errors


def parse_json(text: str) -> Any:
    """The first JSON object/array in ``text`` (code fences and surrounding prose tolerated).

    ``'Here you go:\\n```json\\n{"a": 1}\\n```'`` -> ``{"a": 1}``; raises ValueError if none.
    """
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for chunk in candidates:
        for i, ch in enumerate(chunk):
            if ch in "{[":
                try:
                    return decoder.raw_decode(chunk, i)[0]
                except json.JSONDecodeError:
                    continue
    raise ValueError("no JSON object or array found in the output")


def _schema_of(schema: type[BaseModel] | dict[str, Any]) -> dict[str, Any]:
    if isinstance(schema, dict):
        import jsonschema

        try:
            jsonschema.validators.validator_for(schema).check_schema(schema)
        except jsonschema.SchemaError as e:
            raise InvalidRequestError(f"the JSON schema itself is invalid: {e.message}",
                                      hint="check it with a JSON-schema validator") from e
        return schema
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return schema.model_json_schema()
    raise InvalidRequestError("schema must be a pydantic model class or a JSON schema dict")


def _validate(data: Any, schema: type[BaseModel] | dict[str, Any]) -> Any:
    """Validated value or ValueError with a readable, model-friendly message."""
    if isinstance(schema, dict):
        import jsonschema

        errors = sorted(jsonschema.validators.validator_for(schema)(schema).iter_errors(data), key=str)
        if errors:
            raise ValueError("; ".join(f"at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
                                       for e in errors[:5]))
        return data
    try:
        return schema.model_validate(data)
    except ValidationError as e:
        raise ValueError("; ".join(f"at {'/'.join(map(str, err['loc'])) or '(root)'}: {err['msg']}"
                                   for err in e.errors()[:5])) from e


def extract(text: str, schema: type[T] | dict[str, Any], llm: LLM, *, attempts: int = 3,
            instructions: str = "", params: SamplingParams | None = None) -> T | Any:
    """Extract ``schema``-shaped data from ``text`` (see the module docstring)."""
    if attempts < 1:
        raise InvalidRequestError("attempts must be at least 1", param="attempts")
    system = SYSTEM.format(schema=json.dumps(_schema_of(schema), ensure_ascii=False))
    if instructions:
        system += f"\n{instructions}"
    messages = [Message("system", system), Message("user", f"Text:\n{text}\n\nJSON:")]
    params = params or SamplingParams(max_tokens=512, temperature=0.0)
    errors: list[str] = []
    output = ""
    for _ in range(attempts):
        output, _last = collect(llm.stream(GenerationRequest(messages=messages, params=params)))
        try:
            return _validate(parse_json(output), schema)
        except ValueError as e:
            errors.append(str(e))
            messages = [*messages, Message("assistant", output),
                        Message("user", f"That is not valid: {e}. Reply with corrected JSON only.")]
    raise ExtractionError(f"no valid JSON after {attempts} attempt(s); last error: {errors[-1]}",
                          last_output=output, errors=errors)


class FaqPair(BaseModel):
    question: str
    answer: str


class FaqPairs(BaseModel):
    pairs: list[FaqPair]


def faq_pairs_from_document(text: str, llm: LLM, *, max_pairs: int = 10, attempts: int = 3) -> list[FaqPair]:
    """Question/answer pairs a customer might ask, answered only from ``text`` (empty pairs dropped)."""
    got = extract(text, FaqPairs, llm, attempts=attempts,
                  instructions=f"Write at most {max_pairs} question/answer pairs a customer might ask, answered "
                               "only from the text, in the text's language.")
    return [p for p in got.pairs if p.question.strip() and p.answer.strip()][:max_pairs]
