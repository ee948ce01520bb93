"""The movie recommender: MovieLens readers, the RecBole-comparable split and metrics, and the models.

    movielens.py  read_recbole / read_grouplens_zip -> MovieLens (ratings, items, users frames)
    splits.py     split_ratings: per-user random 8:1:1 split (RecBole RO/RS)
    metrics.py    evaluate_ranking: full-ranking NDCG / Recall / Hit @k with per-user values
    popularity.py, ease.py, neural.py   PopularityRecommender, EASERecommender ("knn"), AutoencoderRecommender
    ensemble.py   BlendRecommender ("ensemble"): EASE + Mult-DAE scores, weight chosen on valid
    evaluate.py   fit_recommender / evaluate_recsys: select on valid, report on test
    descriptors.py, reactions.py   monitoring: request descriptors; live quality from users' reactions

Import from the submodules: this package imports nothing itself, so reading data never pays for torch.
"""
