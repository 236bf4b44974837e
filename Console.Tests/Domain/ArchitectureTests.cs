using System.Text.RegularExpressions;
using OperatorConsole.App.Hosting;

namespace OperatorConsole.Tests.Domain;

/// <summary>Rules about where code lives, read from the source the app is built from.</summary>
public class ArchitectureTests
{
    private static IEnumerable<(string Path, string Text)> Sources(params string[] projects) =>
        projects.SelectMany(p => Directory.EnumerateFiles(Path.Combine(AppPaths.ContentRoot, p), "*.*", SearchOption.AllDirectories))
            .Where(f => (f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".razor", StringComparison.Ordinal))
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")
                        && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                        && !f.Contains($"{Path.DirectorySeparatorChar}Migrations{Path.DirectorySeparatorChar}"))
            .Select(f => (Path.GetRelativePath(AppPaths.ContentRoot, f), File.ReadAllText(f)));

    [Fact]
    public void Changes_are_announced_to_live_screens_only_by_the_domain_event_dispatcher()
    {
        var publishers = Sources("Console.App", "Console.Infrastructure", "Console.Domain")
            .Where(s => Regex.IsMatch(s.Text, @"\.Publish\(\s*new\s+ConversationChanged"))
            .Select(s => s.Path.Replace('\\', '/'))
            .ToList();
        Assert.Equal(["Console.Infrastructure/Live/LiveScreens.cs"], publishers);
    }

    [Fact]
    public void Sql_names_enum_values_from_the_enums_not_as_typed_literals()
    {
        // A literal such as status = 'Queued' drifts silently when the enum is renamed; '{{nameof(DeliveryStatus.Queued)}}' does not.
        var names = typeof(OperatorConsole.Domain.Conversations.Conversation).Assembly.GetTypes().Where(t => t.IsEnum)
            .SelectMany(Enum.GetNames).Where(n => n.Length > 3).ToHashSet();
        var offenders = Sources("Console.Infrastructure")
            .SelectMany(s => s.Text.Split('\n').Where(line => !line.TrimStart().StartsWith("//", StringComparison.Ordinal))
                .SelectMany(line => Regex.Matches(line, @"\b[a-z_]+\s*(?:=|<>|!=)\s*'([A-Z][A-Za-z]+)'"))
                .Select(m => (s.Path, m.Value, Name: m.Groups[1].Value)))
            .Where(m => names.Contains(m.Name))
            .Select(m => $"{m.Path}: {m.Value}")
            .ToList();
        Assert.Empty(offenders);
    }
}
