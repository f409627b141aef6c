namespace Strata.Spec.Diagnostics;

/// <summary>
/// Stable ids of every diagnostic the spec library reports. They never change meaning once published, so scripts
/// and documentation can refer to them; docs/spec.md lists them all.
/// </summary>
public static class DiagnosticCodes
{
    /// <summary>The file is not valid YAML, or could not be read.</summary>
    public const string Syntax = "STR001";

    /// <summary>A key appears twice in the same mapping.</summary>
    public const string DuplicateKey = "STR002";

    /// <summary>A key the grammar does not know.</summary>
    public const string UnknownKey = "STR003";

    /// <summary>A mapping, list or single value was expected and something else was written.</summary>
    public const string WrongShape = "STR004";

    /// <summary>A required key is missing.</summary>
    public const string MissingKey = "STR005";

    /// <summary>A deployment, tier, image, load balancer, port, volume or other name breaks the naming rules.</summary>
    public const string InvalidName = "STR006";

    /// <summary>A value does not have the expected type (integer, number, boolean, duration, size, percentage).</summary>
    public const string InvalidValue = "STR007";

    /// <summary>A value is outside its allowed range, or related values contradict each other (min ≤ desired ≤ max).</summary>
    public const string OutOfRange = "STR008";

    /// <summary>A value is not one of the allowed choices.</summary>
    public const string NotAllowed = "STR009";

    /// <summary>A reference to a tier, image, load balancer, parameter, volume, port or hook that does not exist.</summary>
    public const string UnknownReference = "STR010";

    /// <summary>A port, listen address or other value that must be unique is used twice.</summary>
    public const string Duplicate = "STR011";

    /// <summary>A <c>${…}</c> expression that cannot be parsed.</summary>
    public const string InterpolationSyntax = "STR012";

    /// <summary>A run-time value (an address) in a field whose value must be known when planning.</summary>
    public const string RunTimeReference = "STR013";

    /// <summary>A secret parameter where it would be printed or visible to other users.</summary>
    public const string SecretExposed = "STR014";

    /// <summary>Resources that depend on each other in a cycle.</summary>
    public const string DependencyCycle = "STR015";

    /// <summary>A required parameter has no value.</summary>
    public const string MissingParameter = "STR016";

    /// <summary>A parameter value given on the command line, in a params file or in the environment is invalid.</summary>
    public const string InvalidParameter = "STR017";

    /// <summary>A listen address a local deployment cannot use (not in 127.0.0.0/8).</summary>
    public const string NotLoopback = "STR018";

    /// <summary>Keys that cannot be used together, or a choice of which exactly one is needed.</summary>
    public const string Conflict = "STR019";

    /// <summary>A <c>--param</c> argument that is not written <c>name=value</c>.</summary>
    public const string Usage = "STR020";

    /// <summary>A warning: a secret parameter that the shell hands to a program as an argument, visible in its command line.</summary>
    public const string SecretInArguments = "STR021";
}
