"""Backend selection, the missing-credential error, requests built for a fake google-genai client, and the
real offline models (SmolLM2 loads once per test module)."""
import io
from types import SimpleNamespace as NS

import numpy as np
import pytest
from PIL import Image

from bnpl.creative.backends import make_backend
from bnpl.creative.backends.gemini import GeminiBackend, client_settings
from bnpl.creative.config import load_config
from bnpl.errors import BnplError

CREDENTIAL_VARS = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_CLOUD_PROJECT",
                   "GOOGLE_CLOUD_LOCATION")


def _png(colour=(200, 30, 40)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buf, format="PNG")
    return buf.getvalue()


class FakeModels:
    def __init__(self, client):
        self.client = client

    def generate_content(self, **kw):
        self.client.requests.append(("generate_content", kw))
        if kw["config"].get("response_modalities") == ["IMAGE"]:
            part = NS(inline_data=NS(data=_png(), mime_type="image/png"), text=None)
            return NS(candidates=[NS(content=NS(parts=[NS(inline_data=None, text="here"), part]))])
        return NS(text=" Bold looks for you \n")

    def embed_content(self, **kw):
        self.client.requests.append(("embed_content", kw))
        return NS(embeddings=[NS(values=[3.0, 4.0]) for _ in kw["contents"]])

    def generate_videos(self, **kw):
        self.client.requests.append(("generate_videos", kw))
        return NS(done=False, name="op1")


class FakeClient:
    """Stands in for ``google.genai.Client``: records each request, answers like the SDK's types."""

    def __init__(self):
        self.requests = []
        self.models = FakeModels(self)
        video = NS(video_bytes=None, uri="files/v1")
        done = NS(done=True, error=None, response=NS(generated_videos=[NS(video=video)]))
        self.operations = NS(get=lambda op: self.requests.append(("operations.get", op.name)) or done)
        self.files = NS(download=lambda file: self.requests.append(("files.download", file.uri)) or b"MP4DATA")


@pytest.fixture
def no_credentials(monkeypatch):
    for v in CREDENTIAL_VARS:
        monkeypatch.delenv(v, raising=False)


def test_offline_is_the_default_and_unknown_backends_fail():
    cfg = load_config()
    assert make_backend(cfg).name == "offline"
    with pytest.raises(BnplError, match="unknown backend 'dalle'"):
        make_backend(cfg, "dalle")


def test_gemini_without_credentials_names_the_variables(no_credentials):
    with pytest.raises(BnplError, match="GEMINI_API_KEY.*GOOGLE_API_KEY.*GOOGLE_GENAI_USE_VERTEXAI.*GOOGLE_CLOUD_PROJECT"
                                         ".*GOOGLE_CLOUD_LOCATION"):
        make_backend(load_config(backend="gemini"))


def test_credentials_from_the_environment():
    assert client_settings({"GEMINI_API_KEY": "k"}) == {"api_key": "k"}
    assert client_settings({"GOOGLE_API_KEY": "g"}) == {"api_key": "g"}
    vertex = {"GOOGLE_GENAI_USE_VERTEXAI": "true", "GOOGLE_CLOUD_PROJECT": "p", "GOOGLE_CLOUD_LOCATION": "europe-west4"}
    assert client_settings(vertex) == {"vertexai": True, "project": "p", "location": "europe-west4"}
    with pytest.raises(BnplError, match="GOOGLE_CLOUD_LOCATION"):
        client_settings({"GOOGLE_GENAI_USE_VERTEXAI": "1", "GOOGLE_CLOUD_PROJECT": "p"})


def test_requests_built_for_the_sdk_use_the_configured_model_ids(tmp_path):
    cfg = load_config().gemini
    client = FakeClient()
    b = make_backend(load_config(backend="gemini"), client=client)
    assert isinstance(b, GeminiBackend)
    assert b.generate_text(["Write a headline"], system="Be brief", seed=7) == ["Bold looks for you"]
    name, kw = client.requests[-1]
    assert kw == {"model": cfg.text_model, "contents": "Write a headline",
                  "config": {"seed": 7, "system_instruction": "Be brief"}}
    e = b.embed(["a", "b"])
    assert client.requests[-1] == ("embed_content", {"model": cfg.embedding_model, "contents": ["a", "b"]})
    assert np.allclose(e, [[0.6, 0.8], [0.6, 0.8]])
    ref = Image.new("RGB", (4, 4))
    img = b.edit_image(ref, "white background")
    name, kw = client.requests[-1]
    assert kw["model"] == cfg.image_model and kw["contents"] == ["white background", ref]
    assert kw["config"] == {"response_modalities": ["IMAGE"]} and img.size == (8, 8)
    out = b.generate_video("a lookbook montage", tmp_path / "v.mp4", image=ref)
    name, kw = client.requests[-3]
    assert name == "generate_videos" and kw["model"] == cfg.video_model and kw["image"]["mime_type"] == "image/png"
    assert [r[0] for r in client.requests[-2:]] == ["operations.get", "files.download"]
    assert out.read_bytes() == b"MP4DATA"


def test_sdk_accepts_the_request_configs():
    types = pytest.importorskip("google.genai.types", reason="google-genai (extra 'cloud') not installed")
    types.GenerateContentConfig(**{"seed": 7, "system_instruction": "Be brief"})
    types.GenerateContentConfig(**{"response_modalities": ["IMAGE"]})
    types.GenerateVideosConfig(**{"number_of_videos": 1})
    types.Image(**{"image_bytes": _png(), "mime_type": "image/png"})


def test_offline_backend_cannot_make_video(tmp_path):
    with pytest.raises(BnplError, match="gemini"):
        make_backend(load_config()).generate_video("x", tmp_path / "v.mp4")


@pytest.fixture(scope="module")
def offline():
    return make_backend(load_config())


@pytest.mark.slow  # loads SmolLM2-135M (about 20 s) and MiniLM once for this module
def test_smollm2_generates_batched_text_and_minilm_embeds(offline):
    texts = offline.generate_text(["Write a short headline for red sneakers.", "Say hello to a shopper."], seed=0)
    assert len(texts) == 2 and all(isinstance(t, str) and t.strip() for t in texts)
    assert all("\n" not in t for t in texts)  # generation stops at the first line break
    assert offline.generate_text(["Write a short headline for red sneakers."], seed=0)[0] == \
        offline.generate_text(["Write a short headline for red sneakers."], seed=0)[0]  # seeded
    e = offline.embed(["red sneakers", "crimson trainers", "garden planter"])
    assert e.shape == (3, 384) and np.allclose(np.linalg.norm(e, axis=1), 1, atol=1e-5)
    assert e[0] @ e[1] > e[0] @ e[2]
