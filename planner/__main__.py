import typer

from planner.cli import plan

app = typer.Typer(add_completion=False)
app.command("plan")(plan)

if __name__ == "__main__":
    app()
