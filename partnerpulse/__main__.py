from partnerpulse.cli import app

app(prog_name="partnerpulse")
