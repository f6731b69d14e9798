"""Launching a campaign: the launch with its target list (in batches) and its mailing, recorded
together once a sample message has been rendered; the mailing's messages are queued afterwards,
batch by batch, like any mailing's (commands/mailings.py).

Consent: a campaign whose target names interest areas mails only the contacts subscribed to one
of them (and not opted out), never their partners' other contacts; a contact opted out of every
mailing is never mailed (the mailing's plan skips it)."""

from __future__ import annotations

from uuid import UUID

from aggregates.campaign import Campaign, Target
from aggregates.errors import conflict
from aggregates.mailing import Mailing, MailingTargets
from aggregates.template import DEFAULTS_ID, Channel, DefaultKey, Purpose, Template, TemplateDefaults
from commands.campaigns import load_campaign
from commands.context import CommandContext, Result
from commands.mailings import Candidate, render_sample
from commands.messages import FALLBACK_LANGUAGE
from commands.types import Strict


class LaunchCampaign(Strict):
    """``targets`` is the target list the read side selected for the campaign's criteria (see
    queries/campaigns.py); ``links`` the public base URL of the mailing's unsubscribe and
    tracking links; ``sample`` a recipient of the mailing's plan to render the template for
    before anything is recorded (None when the plan mails nobody)."""

    code: str
    targets: list[UUID]
    links: str
    sample: Candidate | None = None


def audience(campaign_code: str, target: Target, partners: list[UUID] | None = None) -> MailingTargets:
    """Whom the campaign's mailing reaches: the contacts of the partners on its target list
    (``partners``, before the launch has recorded them), and only the subscribers when the
    target names interest areas."""
    if partners is not None:
        return MailingTargets(partners=tuple(partners), subscribers_of=target.interest_areas)
    return MailingTargets(campaign_targets=campaign_code, subscribers_of=target.interest_areas)


def _sending_template(ctx: CommandContext, campaign: Campaign) -> Template:
    """The campaign's template, else the default e-mail template for campaigns (in English)."""
    code = campaign.plan.template
    if code is None:
        defaults = ctx.find(TemplateDefaults, DEFAULTS_ID)
        key = DefaultKey(channel=Channel.EMAIL, purpose=Purpose.CAMPAIGN, language=FALLBACK_LANGUAGE)
        code = defaults.default_for(key) if defaults else None
        if code is None:
            raise conflict("template_missing", f"campaign {campaign.code} names no template and there is no default")
    template = ctx.find(Template, Template.id_for(code))
    if template is None:
        raise conflict("template_missing", f"there is no template {code}")
    if template.content.channel is not Channel.EMAIL:
        raise conflict("template_channel_mismatch", f"template {code} is for {template.content.channel.value}")
    return template


def launch_campaign(cmd: LaunchCampaign, ctx: CommandContext) -> Result:
    """Records the launch (the target list in batches) and starts its mailing in one
    transaction, so a launched campaign always has its mailing; a template that cannot be
    rendered for the sample recipient refuses the launch (409 ``template_render_failed``) and
    records nothing. The mailing's messages are queued batch by batch afterwards (and resumed
    by the mailing preparer if that stops). Answers the mailing's id in ``detail``."""
    campaign = ctx.load_for_update(Campaign, load_campaign(ctx, cmd.code).id)
    campaign.launch(cmd.targets, ctx.today)
    template = _sending_template(ctx, campaign)
    targets = audience(campaign.code, campaign.plan.target)
    mailing = Mailing.start(
        Campaign.mailing_for(campaign.id), template.code, targets, campaign.code, cmd.links.rstrip("/"), ctx.now
    )
    if cmd.sample is not None:
        render_sample(mailing, cmd.sample, ctx)
    return Result(ctx.save(campaign, mailing), campaign.id, mailing.id)
