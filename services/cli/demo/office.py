"""The office the demo sets up on its first morning (data/office.toml): the company, the users, the
partner groups and the custom fields."""

from __future__ import annotations

from commands.company import SetCompanyProfile, set_company_profile
from commands.custom_fields import DefineCustomField, define_custom_field
from commands.partner_groups import CreatePartnerGroup, create_partner_group
from commands.users import RegisterUser, register_user
from services.cli.demo.context import Demo
from services.cli.demo.reference import load

OFFICE = load("office")


def set_up_office(demo: Demo) -> str:
    demo.run(set_company_profile, SetCompanyProfile.model_validate(OFFICE["company"]))
    for user in OFFICE["user"]:
        demo.run(register_user, RegisterUser.model_validate(user))
    for group in OFFICE["group"]:
        demo.run(create_partner_group, CreatePartnerGroup.model_validate(group))
    for definition in OFFICE["custom_field"]:
        demo.run(define_custom_field, DefineCustomField.model_validate(definition))
    return (
        f"{OFFICE['company']['name']}, {len(OFFICE['user'])} users, {len(OFFICE['group'])} partner groups, "
        f"{len(OFFICE['custom_field'])} custom fields"
    )
