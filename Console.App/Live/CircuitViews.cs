using OperatorConsole.Infrastructure.Live;

namespace OperatorConsole.App.Live;

/// <summary>
/// The conversations open in one Blazor circuit, so they stop counting as viewed the moment its connection drops. The
/// server keeps a circuit for minutes after its connection is lost (for a reconnection), and a browser closed without
/// its goodbye beacon never disposes the screen: without this, the others saw "also here" for all that time.
/// </summary>
public sealed class CircuitViews
{
    private readonly HashSet<ConversationActivity.OpenView> _views = [];
    private bool _down;

    /// <summary>Tracks <paramref name="view"/> until it is disposed (call <see cref="Forget"/> then).</summary>
    public void Track(ConversationActivity.OpenView view)
    {
        bool down;
        lock (_views)
        {
            _views.Add(view);
            down = _down;
        }
        if (down) view.Leave();
    }

    public void Forget(ConversationActivity.OpenView view)
    {
        lock (_views) _views.Remove(view);
    }

    public void ConnectionDown() => Each(down: true, v => v.Leave());

    public void ConnectionUp() => Each(down: false, v => v.Return());

    private void Each(bool down, Action<ConversationActivity.OpenView> act)
    {
        List<ConversationActivity.OpenView> views;
        lock (_views)
        {
            _down = down;
            views = [.. _views];
        }
        foreach (var view in views) act(view);
    }
}
