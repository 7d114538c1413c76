import NSTFormula
import NSTTensor

/// The quantities of the quiz (seed questions 2, 3, 5, 6, 7) a student can derive and check.
public enum CheckTarget: String, CaseIterable, Sendable, Codable {
    /// ∂L_content^l/∂F (question 2): the gradient of eq. (1) for one layer.
    case contentLayer = "content-layer"
    /// ∂L_content/∂F^l (question 3): eq. (2) summed over layers; the others are constant in F^l.
    case contentTotal = "content-total"
    /// ∂E_l/∂F (the seed's eq. (6)): the gradient of eq. (4).
    case styleLayer = "style-layer"
    /// ∂L_style/∂F^l (question 5): eq. (5), Σ_l w_l E_l.
    case styleTotal = "style-total"
    /// ∂L_total/∂F^l (question 6): eq. (7), α·L_content + β·L_style.
    case total
    /// F after one gradient-descent step on L_total with step size η (question 7): F − η·∇.
    case update

    /// What the target is, in words and maths, for help texts and reports.
    public var summary: String {
        switch self {
        case .contentLayer: return "∂L_content^l/∂F, the gradient of ½ Σ (F − P)² (eq. 1)"
        case .contentTotal: return "∂L_content/∂F^l, the gradient of Σ_l L_content^l (eq. 2)"
        case .styleLayer: return "∂E_l/∂F, the gradient of Σ (G − A)² / (4N²M²) (eq. 4)"
        case .styleTotal: return "∂L_style/∂F^l, the gradient of Σ_l w_l E_l (eq. 5)"
        case .total: return "∂L_total/∂F^l, the gradient of α·L_content + β·L_style (eq. 7)"
        case .update: return "F after one gradient-descent step F − η·∂L_total/∂F (eq. 8)"
        }
    }
}

public enum Verdict: String, Codable, Sendable {
    case correct, incorrect, invalid
}

/// What the numbers say is wrong (or, for `indistinguishable`, what could not be told apart).
public enum DiagnosisKind: String, Codable, Sendable, CaseIterable {
    /// A term, or the whole answer, has the wrong sign.
    case sign
    /// A term, or the whole answer, is off by a constant factor (named in the message).
    case scale
    /// The answer is the transpose of the gradient.
    case transposed
    /// A term of the true gradient is absent.
    case missingTerm = "missing_term"
    /// The answer has a term the true gradient does not.
    case extraTerm = "extra_term"
    /// The answer agrees only where F > 0 (a ReLU mask that belongs to the pre-activation gradient).
    case mask
    /// The answer has the wrong shape and is not the transpose of the gradient.
    case shape
    /// Wrong, and no combination of the gradient's terms explains it.
    case unexplained
    /// Accepted, but the data cannot tell two readings apart (G and A are symmetric).
    case indistinguishable
    /// The answer hard-codes a size (a number equal to N, M, N², M² or N·M) or compares a
    /// size with a constant (step(M − 50)): the draws cannot vouch for it at every size.
    case hardCoded = "hard_coded"
    /// A derivation's row uses a wrong index: i and j swapped, i for i*, a free index summed.
    case index
    /// A derivation's row uses another layer's weight (w_1 where w_l belongs).
    case layerWeight = "layer_weight"
    /// A derivation's row dropped parentheses: a term escaped a minus or a factor.
    case parentheses
    /// A derivation's row writes one symbol for another (P for F, A for G, α for β).
    case wrongSymbol = "wrong_symbol"
    /// A custom loss is not differentiable at some drawn entries (a relu/step kink there);
    /// those entries are not compared.
    case notDifferentiable = "not_differentiable"
    /// The formula could not be read.
    case parseError = "parse_error"
    /// The formula's shapes cannot combine, or it names an unknown symbol.
    case shapeError = "shape_error"
    /// The formula could not be evaluated (division by zero, overflow).
    case evaluationError = "evaluation_error"
}

public struct Diagnosis: Codable, Sendable, Equatable {
    public var kind: DiagnosisKind
    public var message: String
    public init(kind: DiagnosisKind, message: String) {
        self.kind = kind
        self.message = message
    }
}

/// The entry where the answer and the reference differ most (relative error), in one draw.
public struct WorstEntry: Codable, Sendable, Equatable {
    public var draw: Int
    /// 0-based row and column of the entry (after transposing the answer if it was transposed).
    public var row: Int
    public var column: Int
    public var answer: Double
    public var reference: Double
}

/// Where the bindings F, P, A came from.
public enum BindingsSource: String, Codable, Sendable {
    /// Seeded random non-negative tensors (ReLU of uniform noise): no model installed, or asked for.
    case random
    /// Real VGG activations of small crops of an image, at `CheckOptions.layer`.
    case model
}

/// Everything a check found, as printed by `nst check` and as JSON by `nst check --json`.
public struct CheckReport: Codable, Sendable {
    public var verdict: Verdict
    /// Largest relative error |a − r| / (|a| + |r|) over the checked entries and draws; nil when
    /// the answer could not be compared (invalid, or a shape that is not the gradient's).
    public var maxRelError: Double?
    public var diagnosis: [Diagnosis]
    /// The answer's shape, `N×M = 8×13`; nil when it could not be determined.
    public var shape: String?
    public var expectedShape: String
    /// The formula as read, in Unicode maths, with the shape of each symbol used.
    public var echo: String
    /// One line summing up the verdict.
    public var message: String
    /// The caret rendering of a parse/shape/evaluation error.
    public var errorRendering: String?
    /// The 1-based column (Unicode scalars) of the answer at which it is invalid, when the
    /// error points at one (nil for any other verdict, or an error of a custom loss).
    public var errorColumn: Int?
    public var worst: WorstEntry?
    /// What the answer was compared with, e.g. "central differences of ContentLoss.forward".
    public var reference: String
    public var target: String
    public var bindings: BindingsSource
    /// e.g. "seeded random non-negative tensors" or "VGG16 relu2_1 activations of …".
    public var bindingsDetail: String
    public var seed: UInt64
    public var draws: Int
    public var epsilon: Double
    public var dtype: String
    public var tolerance: Double
    /// Entries compared in the first draw (all of them, except for a costly custom loss or
    /// entries where a custom loss is not differentiable).
    public var checkedEntries: Int

    enum CodingKeys: String, CodingKey {
        case verdict, maxRelError = "max_rel_error", diagnosis, shape, expectedShape = "expected_shape",
             echo, message, errorRendering = "error_rendering", errorColumn = "error_column", worst, reference, target, bindings,
             bindingsDetail = "bindings_detail", seed, draws, epsilon = "eps", dtype, tolerance,
             checkedEntries = "checked_entries"
    }
}

public struct CheckOptions: Sendable {
    /// Seed of every random draw (bindings, sampled entries).
    public var seed: UInt64
    /// Independent draws of the bindings the answer must match on, so a coincidence cannot pass.
    public var draws: Int
    /// Unused: the steps of the central differences are chosen per entry (see `LossDifferences`
    /// and `CustomLoss`); kept so callers that set it still compile.
    public var epsilon: Double
    /// Largest relative error judged correct (CS231n's scale for Double).
    public var tolerance: Double
    /// Entries per draw above which a seeded sample of this many is checked (every entry by
    /// default; a VGG layer or a custom loss too costly to difference at every entry is
    /// sampled regardless).
    public var maxCheckedEntries: Int
    /// Where F, P, A come from. `.model` needs `modelActivations`.
    public var bindings: BindingsSource
    /// The VGG layer whose activations are used when a model is installed.
    public var layer: String
    /// Limits on the formula's length and depth.
    public var limits: FormulaLimits
    /// Why random bindings are used although a model was wanted (e.g. "no model installed"),
    /// added to the report's `bindings_detail`.
    public var bindingsNote: String?

    public init(seed: UInt64 = 1, draws: Int = 3, epsilon: Double = 1e-6, tolerance: Double = 1e-7,
                maxCheckedEntries: Int = .max, bindings: BindingsSource = .random, layer: String = "relu1_1",
                limits: FormulaLimits = .default) {
        self.seed = seed
        self.draws = draws
        self.epsilon = epsilon
        self.tolerance = tolerance
        self.maxCheckedEntries = maxCheckedEntries
        self.bindings = bindings
        self.layer = layer
        self.limits = limits
    }
}

/// One draw's feature matrices [N, M] at one layer: the generated image's (F), the content
/// image's (P) and the style image's (its Gram is A). N channels, M positions.
public struct DrawFeatures: Sendable {
    /// The layer they come from, e.g. relu2_1.
    public var layer: String
    public var generated: Tensor<Double>
    public var content: Tensor<Double>
    public var style: Tensor<Double>
    public init(layer: String, generated: Tensor<Double>, content: Tensor<Double>, style: Tensor<Double>) {
        self.layer = layer
        self.generated = generated
        self.content = content
        self.style = style
    }
}

/// Where real feature matrices come from (a VGG model and images); see `VGGActivations`.
public protocol ActivationSource: Sendable {
    /// e.g. "VGG16 relu2_1 activations of seeded crops of a synthetic image".
    var description: String { get }
    /// The features for draw `index`. Sources should vary N and M between draws (two layers,
    /// crops of different sizes) so a formula that hard-codes a size fails.
    func features(seed: UInt64, index: Int) throws -> DrawFeatures
}
