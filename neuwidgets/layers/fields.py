"""Fields and parameters: what a layer kind declares about itself.

A *field* is one setting of a layer (units, kernel size, stride, padding, an activation
option); a *parameter* is one of its variables (weight, bias, gamma, ...). A kind
lists both once; the layer's constructor, its repr, the design schema, design
validation, code export and the builder's cards are all generic over these lists.

Every field checks a value given from Python or read from a design (:meth:`Field.check`)
and parses text typed in the widget (:meth:`Field.parse`); both return the canonical
value (plain Python numbers and tuples, never NumPy scalars) or raise a
:class:`~neuwidgets.errors.NeuwidgetsError` naming the layer, the field, the value given
and what was expected.
"""
import math
import numbers

import numpy as np

from ..errors import InvalidTypeError, InvalidValueError, shown

#: Largest number of units, filters or positions along one dimension.
MAX_SIZE = 1_000_000_000
#: Largest finite float32 (values beyond it overflow to infinity in a variable).
FLOAT32_MAX = float(np.finfo(np.float32).max)
REQUIRED = object()


def _integer(value):
    """A Python int for an int or NumPy integer (never a bool); None otherwise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        return None
    return int(value)


class Field:
    """One setting of a layer kind.

    ``name``: the constructor argument and design key; ``default``: its value when not
    given (:data:`REQUIRED` when it must be given); ``doc``: one line for the card's
    tooltip. Subclasses define :meth:`_check` (value → canonical value or raise) and
    :meth:`expected` (what is accepted, in words).
    """

    type = None

    def __init__(self, name, default=REQUIRED, doc=""):
        self.name, self.default, self.doc = name, default, doc

    @property
    def required(self):
        return self.default is REQUIRED

    def check(self, value, where, given=None):
        """The canonical value of ``value`` for this field, or raise naming ``where``
        (``"Relu layer 'relu-1'"``), the field, the value (or the text ``given`` it was
        read from) and what is expected."""
        if value is None and self.default is None:
            return None
        try:
            result = self._check(value)
        except OverflowError:
            result = None
        if result is None:
            error = InvalidTypeError if given is None and self._wrong_type(value) else InvalidValueError
            raise error(f"{where}: {self.name} must be {self.expected()}, got {shown(value if given is None else given)}")
        return result

    def parse(self, text, where):
        """The value of ``text`` typed in the widget (a value that is not text is checked
        as it is); ``""`` is None where the field allows None."""
        if not isinstance(text, str):
            return self.check(text, where)
        if text.strip() == "" and self.default is None:
            return None
        value = self._parse(text.strip())
        return self.check(text if value is None else value, where, given=text)

    def _parse(self, text):
        return None

    def _wrong_type(self, value):
        return False

    def to_json(self, value):
        """The design's JSON value (tuples become lists)."""
        return list(value) if isinstance(value, tuple) else value

    def text(self, value):
        """How the card shows the value: ``"3, 3, 32"``, ``"0.01"``, ``""`` for None."""
        if value is None:
            return ""
        return ", ".join(map(str, value)) if isinstance(value, tuple) else str(value)

    def python(self, value):
        """The value as a constructor argument is written (in reprs and exported code)."""
        return value

    def describe(self):
        """What the front end needs to show and edit the field."""
        return {"name": self.name, "type": self.type, "doc": self.doc, "expected": self.expected(),
                "optional": self.default is None, "default": None if self.required else self.to_json(self.default),
                "choices": None}

    def json_schema(self):
        """The JSON schema of the field's value in a design (null too where the default
        is None; the bounds are checked by :meth:`check`)."""
        schema = self.json_type()
        return {"anyOf": [schema, {"type": "null"}]} if self.default is None else schema

    def json_type(self):
        raise NotImplementedError

    def expected(self):
        raise NotImplementedError


class Integer(Field):
    """A whole number from ``minimum`` to ``maximum`` (units, filters)."""

    type = "integer"

    def __init__(self, name, default=REQUIRED, doc="", minimum=1, maximum=MAX_SIZE):
        super().__init__(name, default, doc)
        self.minimum, self.maximum = minimum, maximum

    def _check(self, value):
        number = _integer(value)
        return number if number is not None and self.minimum <= number <= self.maximum else None

    def _parse(self, text):
        return int(text) if text.isascii() and text.lstrip("-").isdecimal() and len(text) < 20 else None

    def _wrong_type(self, value):
        return _integer(value) is None

    def expected(self):
        optional = " (or None)" if self.default is None else ""
        if self.minimum == 1:
            return f"a positive integer up to {self.maximum:,}{optional}"
        return f"a whole number from {self.minimum:,} to {self.maximum:,}{optional}"

    def json_type(self):
        return {"type": "integer"}


class Number(Field):
    """A finite float32 number in ``[minimum, maximum]`` (``open`` ends excluded)."""

    type = "number"

    def __init__(self, name, default=REQUIRED, doc="", minimum=-FLOAT32_MAX, maximum=FLOAT32_MAX, open=()):
        super().__init__(name, default, doc)
        self.minimum, self.maximum, self.open = minimum, maximum, set(open)

    def _check(self, value):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return None
        number = float(value)
        if not math.isfinite(number):
            return None
        low_ok = number > self.minimum if "minimum" in self.open else number >= self.minimum
        high_ok = number < self.maximum if "maximum" in self.open else number <= self.maximum
        if not (low_ok and high_ok):
            return None
        return int(value) if isinstance(value, numbers.Integral) else number

    def _parse(self, text):
        try:
            return float(text) if len(text) < 40 else None
        except ValueError:
            return None

    def _wrong_type(self, value):
        return isinstance(value, bool) or not isinstance(value, numbers.Real)

    def expected(self):
        low = "(" if "minimum" in self.open else "["
        high = ")" if "maximum" in self.open else "]"
        bounds = f"{low}{self.minimum:g}, {self.maximum:g}{high}"
        return f"a finite number in {bounds}"

    def json_type(self):
        return {"type": "number"}


class Choice(Field):
    """One of a few words (``"valid"`` or ``"same"``)."""

    type = "choice"

    def __init__(self, name, choices, default=REQUIRED, doc=""):
        super().__init__(name, default, doc)
        self.choices = tuple(choices)

    def _check(self, value):
        return value if isinstance(value, str) and value in self.choices else None

    def _parse(self, text):
        return text

    def _wrong_type(self, value):
        return not isinstance(value, str)

    def expected(self):
        return "one of " + ", ".join(map(repr, self.choices))

    def describe(self):
        return {**super().describe(), "choices": list(self.choices)}

    def json_type(self):
        return {"type": "string"}


class Integers(Field):
    """A tuple of whole numbers (a shape, a kernel size, a stride).

    ``length``: the exact number of entries, or ``(fewest, most)``; ``broadcast``: a
    single number stands for all entries (``stride=2`` → ``(2, 2)``); ``minimum``: the
    smallest entry; ``wildcard``: one entry may be −1 (Reshape: "the rest").
    """

    type = "integers"

    def __init__(self, name, length, default=REQUIRED, doc="", minimum=1, broadcast=False, wildcard=False):
        super().__init__(name, default, doc)
        self.length = (length, length) if isinstance(length, int) else tuple(length)
        self.minimum, self.broadcast, self.wildcard = minimum, broadcast, wildcard

    def _check(self, value):
        if _integer(value) is not None or (self.broadcast and isinstance(value, (tuple, list)) and len(value) == 1):
            value = value[0] if isinstance(value, (tuple, list)) else value
            if not self.broadcast and self.length[0] != 1:
                return None
            value = (value,) * self.length[0]
        if not isinstance(value, (tuple, list)):
            return None
        numbers_ = [_integer(item) for item in value]
        fewest, most = self.length
        if None in numbers_ or not fewest <= len(numbers_) <= most:
            return None
        wild = [item for item in numbers_ if item == -1] if self.wildcard else []
        if len(wild) > 1 or any(not (item in wild or self.minimum <= item <= MAX_SIZE) for item in numbers_):
            return None
        return tuple(numbers_)

    def _parse(self, text):
        parts = [part.strip() for part in text.strip("()[] ").split(",") if part.strip()]
        if not parts or not all(part.isascii() and part.lstrip("-").isdecimal() and len(part) < 20 for part in parts):
            return None
        return tuple(int(part) for part in parts)

    def _wrong_type(self, value):
        return not isinstance(value, (tuple, list)) and _integer(value) is None

    def python(self, value):
        return value[0] if value is not None and len(value) == 1 and self.length[0] == 1 else value

    def expected(self):
        fewest, most = self.length
        count = f"{fewest}" if fewest == most else f"{fewest} to {most}"
        kind = "positive integer" if self.minimum == 1 else f"whole number from {self.minimum}"
        entries = f"{count} {kind}{'s' if most > 1 else ''} up to {MAX_SIZE:,}"
        extra = [", or one number for all" if self.broadcast and most > 1 else "",
                 "; one of them may be -1 (the rest)" if self.wildcard else ""]
        return entries + "".join(extra)

    def json_type(self):
        types = [{"type": "array", "items": {"type": "integer"}}]
        types += [{"type": "integer"}] if self.broadcast else []
        types += [{"type": "null"}] if self.default is None else []
        return {"anyOf": types} if len(types) > 1 else types[0]


class Parameter:
    """One variable of a layer kind: ``name`` (``"weight"``), the ``default`` value
    (an initializer or a number), ``optional`` (None allowed: no variable, e.g. no
    bias), ``trainable`` (False for moving statistics), ``kernel`` (the parameter whose
    fans and variance the theory reads: a dense weight, a convolution kernel)."""

    def __init__(self, name, default, optional=False, trainable=True, kernel=False):
        self.name, self.default, self.optional = name, default, optional
        self.trainable, self.kernel = trainable, kernel
