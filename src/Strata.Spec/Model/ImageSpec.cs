namespace Strata.Spec.Model;

/// <summary>An immutable image: a source folder baked into a content-addressed artifact, and how to run it.</summary>
public sealed record ImageSpec
{
    public required string Name { get; init; }

    /// <summary>The source folder, relative to the spec file.</summary>
    public required string From { get; init; }

    /// <summary>The command that runs the server, through <c>/bin/sh -c</c>, in the server's root folder.</summary>
    public required Template Run { get; init; }

    /// <summary>Lifecycle hooks by name: configure, check, backup, restore, stop, freeze, thaw, verify, scaleCheck.</summary>
    public IReadOnlyDictionary<string, Template> Hooks { get; init; } = new Dictionary<string, Template>();

    public IReadOnlyDictionary<string, Template> Env { get; init; } = new Dictionary<string, Template>();

    public SourceLocation Location { get; init; }

    /// <summary>The hook run once, at a server's first boot, before <see cref="Run"/>.</summary>
    public const string ConfigureHook = "configure";

    /// <summary>The hook names the spec accepts.</summary>
    public static IReadOnlyList<string> KnownHooks { get; } =
        [ConfigureHook, "check", "backup", "restore", "stop", "freeze", "thaw", "verify", "scaleCheck"];
}
