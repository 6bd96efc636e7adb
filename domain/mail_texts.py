"""The texts of the e-mails to contact persons, in German and English, plain text and HTML."""

from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class MailText:
    subject: str
    text: str
    html: str


INVITATION = {
    "de": (
        "Wie läuft „{project}“? Ihre Antwort für {organization}",
        "Guten Tag {name},\n\nfür das Kooperationsprojekt „{project}“ ist die Pulsbefragung Nr. {sequence} "
        "geöffnet. Sie beantworten sie für {organization}: sechs kurze Fragen und ein Kommentar, etwa zwei "
        "Minuten.\n\n{link}\n\nDer Link gilt nur für diese Befragung und nur für {organization}, bis sie "
        "geschlossen wird. Einzelne Antworten sehen nur die Moderation und das Netzwerkmanagement; die "
        "Partner sehen nur zusammengefasste Werte.",
    ),
    "en": (
        "How is “{project}” going? Your answer for {organization}",
        "Hello {name},\n\npulse survey no. {sequence} of the cooperation project “{project}” is open. You "
        "answer it for {organization}: six short questions and a comment, about two minutes.\n\n{link}\n\n"
        "The link works for this survey and for {organization} only, until the survey closes. Individual "
        "answers are seen only by the moderator and the network management; partners see combined figures "
        "only.",
    ),
}
REMINDER = {
    "de": (
        "Erinnerung: Ihre Antwort zu „{project}“ fehlt noch",
        "Guten Tag {name},\n\n{organization} hat die Pulsbefragung Nr. {sequence} zu „{project}“ noch nicht "
        "beantwortet. Es dauert etwa zwei Minuten:\n\n{link}\n\nSie möchten keine Erinnerungen mehr? Ihr "
        "Netzwerkmanagement oder Ihre Organisation kann sie für Sie abbestellen.",
    ),
    "en": (
        "Reminder: your answer about “{project}” is still missing",
        "Hello {name},\n\n{organization} has not answered pulse survey no. {sequence} of “{project}” yet. It "
        "takes about two minutes:\n\n{link}\n\nNo more reminders? Your network management or your "
        "organization can switch them off for you.",
    ),
}

SIGN_IN = {
    "de": (
        "Ihr Anmeldelink für PartnerPulse",
        "Guten Tag,\n\nmit diesem Link melden Sie sich bei PartnerPulse an. Er gilt {minutes} Minuten und nur "
        "einmal:\n\n{link}\n\nSie haben keinen Link angefordert? Dann können Sie diese E-Mail ignorieren.",
    ),
    "en": (
        "Your sign-in link for PartnerPulse",
        "Hello,\n\nthis link signs you in to PartnerPulse. It works for {minutes} minutes and once only:\n\n"
        "{link}\n\nYou did not ask for a link? Then you can ignore this e-mail.",
    ),
}


def render(templates: dict[str, tuple[str, str]], language: str, **values: str | int) -> MailText:
    subject, body = templates.get(language, templates["en"])
    text = body.format(**values)
    safe = {key: escape(str(value)) for key, value in values.items()}
    link = safe["link"]
    paragraphs = body.format(**{**safe, "link": "\0"}).split("\n\n")
    html = "".join(
        f'<p><a href="{link}">{link}</a></p>' if paragraph == "\0" else f"<p>{paragraph}</p>"
        for paragraph in paragraphs
    )
    return MailText(
        subject=subject.format(**values), text=text, html=f"<!doctype html><html><body>{html}</body></html>"
    )


def invitation(language: str, **values: str | int) -> MailText:
    return render(INVITATION, language, **values)


def reminder(language: str, **values: str | int) -> MailText:
    return render(REMINDER, language, **values)


def sign_in(language: str, **values: str | int) -> MailText:
    return render(SIGN_IN, language, **values)
