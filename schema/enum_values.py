"""Enum members with a description, typed as the string they become."""

from typing import cast

import strawberry


def described(value: str, description: str) -> str:
    """`strawberry.enum_value(value, description=...)`, typed as `value`'s type.

    `@strawberry.enum` replaces the definition by its value when it builds the enum, so `Member.value` is the
    string at run time; typed as `EnumValueDefinition`, every `.value` would need a cast of its own.
    """
    return cast(str, strawberry.enum_value(value, description=description))
