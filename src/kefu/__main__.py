from kefu.cli.main import app

app()
