"""Generative-creative stage: personalised lookbooks, campaign copy with guardrails, image-library
enrichment and the A/B analysis of lookbook campaigns, on the synthetic world.

* :mod:`bnpl.creative.backends`: one interface for text, embeddings, images and video; ``offline``
  (SmolLM2-135M-Instruct GGUF + all-MiniLM-L6-v2 from PyPI wheels, Pillow; the default) and ``gemini``
  (google-genai SDK: Gemini text/image, Veo video), chosen by ``experiments/creative.yaml``.
* :mod:`bnpl.creative.catalogue`: named products with prices and instalments, observed and latent tastes.
* :mod:`bnpl.creative.guardrails` and :mod:`bnpl.creative.copywriter`: checked copy, regenerated, then templated.
* :mod:`bnpl.creative.lookbook` and :mod:`bnpl.creative.render`: recommender picks arranged for coherence,
  rendered as a page, saved as PNG + JSON; best-seller baseline built the same way.
* :mod:`bnpl.creative.abtest`: simulated generic-vs-personalised experiment, CUPED, intervals, power, SRM.
* :mod:`bnpl.creative.enrich`: resumable image clean-up, duplicate detection and quality scores.
"""
