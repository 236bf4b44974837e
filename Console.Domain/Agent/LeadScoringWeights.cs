using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Agent;

/// <summary>
/// Points each signal the lead analysis finds adds to (or takes from) a lead's score, which starts at 50. Part of the
/// agent profile so an owner can say what matters to their business (a budget means more to a clinic than urgency).
/// </summary>
public sealed record LeadScoringWeights(int Interested, int Urgent, int BudgetMentioned, int DecisionMaker, int Comparing, int NotInterested,
    int Spam)
{
    public const int Limit = 100;

    /// <summary>The starting points of DESIGN.md (what every tenant had before weights were editable).</summary>
    public static LeadScoringWeights Default { get; } = new(10, 15, 20, 15, 5, -20, -50);

    /// <summary>Signal name (as the lead's score reason shows it) and weight, in a fixed order.</summary>
    public IReadOnlyList<(string Signal, int Weight)> Signals() =>
    [
        ("interested", Interested), ("urgent", Urgent), ("budget mentioned", BudgetMentioned), ("decision maker", DecisionMaker),
        ("comparing", Comparing), ("not interested", NotInterested), ("spam", Spam),
    ];

    public void Validate()
    {
        if (Signals().Any(w => w.Weight is < -Limit or > Limit))
            throw new DomainException("agent.scoring_weight", $"Each scoring weight is between -{Limit} and {Limit}.", Limit);
    }
}
