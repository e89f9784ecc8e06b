"""The house style of entry titles: title case, the house abbreviations, emphasis on names.

``house_title("Automatically retrain neural networks with Renate")`` →
``Automatically Retrain NNs with **Renate**``. Products, services, libraries and tools are bold;
model and method names italic. The raw title is web text: it is escaped first (``safety``), so the
only Markdown in the result is the emphasis added here.
"""

from __future__ import annotations

import re

from .safety import escape_title_text

__all__ = ["house_title", "title_case", "ABBREVIATIONS", "KNOWN_PRODUCTS", "KNOWN_MODELS"]

#: longest first, so "Large Language Models" wins over "Language Models"
ABBREVIATIONS = [
    (r"Large Language Models", "LLMs"), (r"Large Language Model", "LLM"),
    (r"Language Models", "LMs"), (r"Language Model", "LM"),
    (r"Neural Networks", "NNs"), (r"Neural Network", "NN"),
    (r"Machine Learning", "ML"), (r"Deep Learning", "DL"),
    (r"Mixtures?[- ]of[- ]Experts", "MoE"),
]

#: AWS services; "Amazon X" / "AWS X" is bold, and so is the bare name when it is distinctive
AWS_SERVICES = ["SageMaker", "Bedrock", "Inferentia", "Trainium", "Graviton", "EKS", "ECS", "EC2", "S3", "EMR",
                "Comprehend", "Rekognition", "Textract", "Kendra", "Lex", "Polly", "Transcribe", "Translate",
                "Personalize", "Forecast", "Neptune", "Glue", "Athena", "Redshift", "Kinesis", "OpenSearch",
                "CodeWhisperer", "Titan", "Q", "Lambda", "DynamoDB", "QuickSight", "HealthLake", "Lookout"]
_AWS_BARE = ["SageMaker", "Inferentia", "Trainium", "Graviton", "Bedrock"]
#: SageMaker capabilities that are part of the product name ("**Amazon SageMaker Clarify**")
SAGEMAKER_FEATURES = ["Clarify", "Role Manager", "Model Parallel Library", "Data Parallel Library", "Feature Store",
                      "Autopilot", "Pipelines", "Studio Lab", "Studio", "Canvas", "JumpStart", "Ground Truth Plus",
                      "Ground Truth", "Data Wrangler", "Neo", "Debugger", "Model Monitor", "Model Registry",
                      "Model Cards", "Serverless Inference", "Inference Recommender", "Edge Manager",
                      "Training Compiler", "Processing", "Experiments Plus"]

#: products, services, libraries and tools shown in bold (besides AWS and "Apache X")
KNOWN_PRODUCTS = [
    "PyTorch Lightning", "PyTorch", "TorchServe", "TorchScript", "TensorFlow Serving", "TensorFlow Lite",
    "TensorFlow", "TensorRT", "Keras", "JAX", "Flax", "Hugging Face", "scikit-learn", "XGBoost", "LightGBM",
    "CatBoost", "ONNX Runtime", "ONNX", "Triton Inference Server", "Triton", "DeepSpeed", "Megatron-LM", "vLLM",
    "Ray", "MLflow", "Kubeflow", "Kubernetes", "Airflow", "Dataflow", "Databricks", "Snowflake", "BigQuery",
    "Vertex AI", "Azure ML", "Feast", "Feathr", "Metaflow", "Flyte", "Kedro", "DVC", "BentoML", "KServe",
    "Seldon Core", "Docker", "CUDA", "Horovod", "Dask", "Polars", "pandas", "NumPy", "FAISS", "Milvus",
    "Elasticsearch", "LangChain", "LlamaIndex", "Gradio", "Streamlit", "FastAPI", "Weights & Biases",
    "Great Expectations", "Label Studio", "Renate", "Fortuna", "Syne Tune", "AutoGluon", "GluonTS", "DJL",
]

#: model and method names shown in italics
KNOWN_MODELS = [
    "Stable Diffusion", "ChatGPT", "InstructGPT", "GPT-4", "GPT-3.5", "GPT-3", "GPT-2", "DALL-E 2", "DALL·E 2",
    "DALL-E", "BERT", "RoBERTa", "DistilBERT", "T5", "Flan-T5", "CLIP", "Whisper", "LLaMA", "Llama 2", "PaLM",
    "LaMDA", "Chinchilla", "Flamingo", "Gato", "AlphaFold", "AlphaCode", "AlphaZero", "AlphaTensor", "Imagen",
    "Parti", "Muse", "Minerva", "Codex", "Midjourney", "Segment Anything", "ViT", "Transformer-XL", "ESMFold",
]

#: acronyms in parentheses that are fields or common terms, not a model's name
_GENERIC_ACRONYMS = {"AI", "ML", "DL", "NLP", "NLU", "NLG", "CV", "LLM", "LLMS", "LM", "LMS", "NN", "NNS", "GPU",
                     "GPUS", "CPU", "TPU", "API", "APIS", "AWS", "UI", "UX", "RL", "MLOPS", "ETL", "SQL", "HPO",
                     "FAQ", "QA", "OCR", "ASR", "TTS", "GAN", "GANS", "VAE", "RAG", "SDK", "IOT", "AR", "VR",
                     "KPI", "ROI", "US", "UK", "EU", "PDF"}
#: words that end up before a colon without naming a model
_NOT_NAMES = {"Update", "Updates", "Announcing", "Tutorial", "Guide", "Recap", "Interview", "Opinion", "Summary",
              "Review", "Introduction", "Overview", "Preview", "Part", "Case", "Lessons", "Takeaways", "News",
              "Podcast", "Video", "Webinar", "Q&A", "FAQ", "Spotlight", "Breaking", "Explainer", "Primer",
              "Introducing", "Beyond", "Why", "How", "What", "When", "Where", "Who", "TL;DR", "Editorial"}
#: a name introduced as one of these kinds is a product, not a model
_PRODUCT_NOUNS = r"(?:Library|Framework|Toolkit|Tool|Platform|Service|SDK|Package|Python Package|Open[- ]Source \w+)"

_SMALL = {"a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "nor", "of", "on", "onto", "or",
          "over", "per", "the", "to", "vs", "vs.", "via", "with", "within", "without", "up", "off",
          "is", "are"}
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
#: share of capitalised content words above which a title is already in title case and kept as written
TITLE_CASED_SHARE = 0.75


def _already_title_cased(words: list[str]) -> bool:
    content = [w for w in words if w and w[0].isalpha() and w.lower() not in _SMALL]
    return not content or sum(w[0].isupper() for w in content) / len(content) >= TITLE_CASED_SHARE


def _cap(part: str) -> str:
    return part[:1].upper() + part[1:] if part[:1].isalpha() and part[:1].islower() else part


def title_case(text: str) -> str:
    """Title case for an English title: content words capitalised, small words (articles, short
    prepositions and conjunctions, "is"/"are" as the house writes them) lower except first, last and
    after a colon; acronyms, CamelCase, versions and Korean kept as written. A title already mostly
    in title case keeps its author's casing apart from lower-case content words."""
    words = text.split(" ")
    if _HANGUL.search(text):
        return text
    if _already_title_cased(words):
        # the author's casing stands; only a stray lower-case content word is capitalised
        return " ".join(_cap(w) if i and w.isalpha() and w.islower() and w not in _SMALL else w
                        for i, w in enumerate(words))
    out = []
    for i, w in enumerate(words):
        first = i == 0 or (out and out[-1].endswith(":"))
        last = i == len(words) - 1
        if not w or any(c.isupper() for c in w[1:]) or any(c.isdigit() for c in w):
            out.append(w)
        elif not first and not last and w.lower() in _SMALL:
            out.append(w.lower())
        else:
            parts = w.split("-")
            out.append("-".join(_cap(p) if k == 0 or p.lower() not in _SMALL else p for k, p in enumerate(parts)))
    return " ".join(out)


def _name_pattern(name: str) -> str:
    return rf"(?<![\w*\\]){re.escape(name)}(?:\s\d+(?:\.\d+)*)?(?![\w*])"


class _Marker:
    """Wraps non-overlapping spans of the title in emphasis."""

    def __init__(self, title: str):
        self.title = title
        self.spans: list[tuple[int, int]] = []   # taken spans, in current coordinates

    def mark(self, pattern: str, left: str, flags: int = 0, group: int = 0) -> bool:
        for m in re.finditer(pattern, self.title, flags):
            a, b = m.span(group)
            if a == b or any(not (b <= s or a >= e) for s, e in self.spans):
                continue
            self.title = self.title[:a] + left + self.title[a:b] + left + self.title[b:]
            w = 2 * len(left)
            self.spans = [(s + (w if s >= b else 0), e + (w if e >= b else 0)) for s, e in self.spans]
            self.spans.append((a, b + w))
            return True
        return False

    def mark_all(self, pattern: str, left: str, flags: int = 0) -> None:
        while self.mark(pattern, left, flags):
            pass


def house_title(raw_title: str, names: list[str] | tuple[str, ...] = (),
                models: list[str] | tuple[str, ...] = ()) -> str:
    """The title of an entry line in the house style.

    ``names``: extra product/library names to set in bold (e.g. the repositories a post links);
    ``models``: extra model/method names to set in italics.
    """
    title = escape_title_text(raw_title)
    korean = bool(_HANGUL.search(title))
    if not korean:
        title = title_case(title)
    for pattern, short in ABBREVIATIONS:
        title = re.sub(rf"\b{pattern}\b", short, title, flags=re.I)
    if korean:
        return title   # the house leaves Korean titles as their authors wrote them
    mk = _Marker(title)

    # bold: products, services, libraries, tools
    features = "|".join(re.escape(f) for f in sorted(SAGEMAKER_FEATURES, key=len, reverse=True))
    mk.mark_all(rf"(?<![\w*])(?:(?:Amazon|AWS) )?SageMaker(?: (?:{features}))?(?![\w*])", "**")
    services = "|".join(re.escape(s) for s in sorted(AWS_SERVICES, key=len, reverse=True))
    mk.mark_all(rf"(?<![\w*])(?:Amazon|AWS) (?:{services})(?![\w*])", "**")
    for name in sorted({*KNOWN_PRODUCTS, *_AWS_BARE, *names}, key=len, reverse=True):
        mk.mark_all(_name_pattern(name), "**")
    mk.mark_all(r"(?<![\w*])Apache [A-Z][A-Za-z]+(?![\w*])", "**")
    mk.mark(rf"^Introducing ([A-Z][\w.-]*)(?=(?::|,| -| –)? (?:An? |The )?(?:[\w-]+ ){{0,3}}{_PRODUCT_NOUNS}\b)",
            "**", group=1)

    # italics: model and method names
    for name in sorted({*KNOWN_MODELS, *models}, key=len, reverse=True):
        mk.mark_all(_name_pattern(name), "*")
    m = re.match(r"^([A-Z][A-Za-z0-9]*(?:-[A-Z0-9][A-Za-z0-9]*)*):\s", mk.title)
    if m and m.group(1) not in _NOT_NAMES:
        mk.mark(r"^[^:]+(?=:)", "*")
    for m in list(re.finditer(r"\(([A-Z][A-Za-z0-9-]*[A-Z0-9][A-Za-z0-9-]*)\)", mk.title)):
        if m.group(1).upper() not in _GENERIC_ACRONYMS:
            mk.mark(rf"(?<=\(){re.escape(m.group(1))}(?=\))", "*")
    return mk.title
