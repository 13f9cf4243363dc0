"""The one interface every training method implements, `run(config, on_progress) -> Trained`: what a run reports
as it goes (Progress) and what it produced (Trained). Display is the caller's: a run only calls back."""
from dataclasses import dataclass, field


def strength(point):
    """A check's play strength on one line of text."""
    return (f"losing lines X {point['losses_x']} O {point['losses_o']} · optimal {point['optimal_pct']:.1f}% · "
            f"fastest {point['fastest_pct']:.1f}%" + (' · perfect' if point['perfect'] else ''))


@dataclass(frozen=True)
class Progress:
    """What a run tells on_progress after each step of its work: `done` of at most `total` steps (batches, games),
    where it is (`at`: 'epoch 3', '1,024 games'), and the check just made (a history point), or None between checks.
    A true answer to a check stops the run there."""
    done: int
    total: int
    at: str
    check: dict | None = None

    def line(self):
        """The check as one line of text, or None between checks."""
        if self.check is not None:
            return f"{self.at}: {strength(self.check)} · loss {self.check['loss']:.4g}"


@dataclass
class Trained:
    """What a run produced: the model, its settings, the history (one point per check) and how it went, in the
    run's own words: what it `took` ('16 epochs') and which weights it `kept` ('the last epoch')."""
    model: object  # a model.Model
    config: object  # a config.Config
    history: list
    perfect: bool
    games: int
    seconds: float
    took: str
    kept: str
    record: dict = field(default_factory=dict)  # what the method adds to the knowledge's `training` metadata

    def training_metadata(self):
        """The knowledge file's `training` value: the settings, what the method records, then what the run took."""
        return {**self.config.as_metadata(), **self.record, 'games': self.games, 'seconds': self.seconds}
