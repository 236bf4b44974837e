using OperatorConsole.Infrastructure.Templates;

namespace OperatorConsole.App.Components.Pages.Templates;

/// <summary>What a <see cref="TemplatePicker"/> holds: the template (null = none) and the values typed for its variables.</summary>
public sealed record TemplateChoice(TemplateView? Template, IReadOnlyList<string> Parameters);
